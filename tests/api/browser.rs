//! The pages in a real browser: headless Chromium, driven over WebDriver by chromedriver, with JavaScript on.
//!
//! Each test starts its own chromedriver on a free port (which starts Chromium with a fresh profile in a
//! temporary folder) and stops both when it ends, whether it passes or not. They need Debian's `chromium`
//! and `chromium-driver` (`/usr/bin/chromium`, `/usr/bin/chromedriver`), which `.ci/run` installs; without
//! them they fail, they never skip.
//!
//! With `ETP_SCREENSHOTS=docs/screenshots` (a folder; a relative one is taken from the workspace root) the
//! tests also save full-page PNG screenshots of the main pages there.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::{Backend, PASSWORD, spawn_app};
use domain::Role;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The window the pages are seen in (and the width of the screenshots).
const WIDTH: u32 = 1200;
const HEIGHT: u32 = 900;
/// How long a page may take to appear after a click.
const PATIENCE: Duration = Duration::from_secs(15);
/// The tallest screenshot taken, in CSS pixels.
const MAX_SCREENSHOT_HEIGHT: u32 = 6000;

/// A chromedriver process of this test, and the profile folder of the Chromium it starts. Dropping it ends
/// the browser session, then chromedriver and anything left in its process group.
struct Chromedriver {
    child: Child,
    port: u16,
    session_id: Option<String>,
    log: PathBuf,
    folder: tempfile::TempDir,
}

impl Chromedriver {
    /// Starts chromedriver on a free port and waits until it answers.
    async fn start() -> Chromedriver {
        for program in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(program).exists(),
                "the browser tests need {program}: install Debian's chromium and chromium-driver \
                 (`apt-get install -y chromium chromium-driver`; .ci/run does it)"
            );
        }
        let mut last_failure = String::new();
        // A port found free may be taken before chromedriver binds it: try again on another.
        for _ in 0..3 {
            let folder = tempfile::tempdir().expect("a temporary folder for the browser");
            let log = folder.path().join("chromedriver.log");
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port for chromedriver")
                .port();
            let log_file = std::fs::File::create(&log).expect("a log file for chromedriver");
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                // Chromium's language sets how date fields take typed dates: month, day, year in en-US.
                .env("LANG", "en_US.UTF-8")
                .env("LANGUAGE", "en_US")
                .env_remove("LC_ALL")
                .env_remove("LC_MESSAGES")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("the chromedriver log"))
                .stderr(log_file)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|error| panic!("cannot start {CHROMEDRIVER}: {error}"));
            let mut driver = Chromedriver {
                child,
                port,
                session_id: None,
                log,
                folder,
            };
            match driver.wait_until_ready().await {
                Ok(()) => return driver,
                Err(failure) => last_failure = failure,
            }
        }
        panic!("chromedriver did not start: {last_failure}");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let status = format!("{}/status", self.url());
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(code)) = self.child.try_wait() {
                return Err(format!("it exited with {code}: {}", self.log_text()));
            }
            if let Ok(response) = reqwest::get(&status).await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "it did not answer at {status} within 20 s: {}",
            self.log_text()
        ))
    }

    /// Ends the browser session by plain HTTP (Drop cannot await), so that chromedriver closes Chromium.
    fn delete_session(&mut self) {
        use std::io::{Read, Write};
        let Some(id) = self.session_id.take() else {
            return;
        };
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        self.delete_session();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Anything chromedriver started and left behind is in its process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }
}

/// Chromium, on the pages of one running service.
struct Browser {
    client: Client,
    base: String,
    driver: Chromedriver,
}

impl Browser {
    async fn start(base: &str) -> Browser {
        let mut driver = Chromedriver::start().await;
        let profile = driver.folder.path().join("profile");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".to_string(),
            "--disable-gpu".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-quic".to_string(),
            "--no-first-run".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "chromedriver could not start {CHROMIUM}: {error}\n{}",
                    driver.log_text()
                )
            });
        driver.session_id = client.session_id().await.expect("the WebDriver session id");
        client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("set the window size");
        Browser {
            client,
            base: base.to_string(),
            driver,
        }
    }

    /// Closes the browser; chromedriver is stopped when the browser is dropped.
    async fn finish(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.driver.session_id = None;
        }
    }

    async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|error| panic!("cannot open {url}: {error}"));
    }

    /// Where the browser is: path and query, such as `/applications/1?section=essays`.
    async fn location(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .expect("the current address");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Where the browser is and what the page says, for failure messages.
    async fn describe(&self) -> String {
        let location = self.location().await;
        let body = match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => self.client.source().await.unwrap_or_default(),
        };
        let body: String = body.chars().take(1500).collect();
        format!("at {location}, the page says:\n{body}")
    }

    async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!("no element `{css}` ({error}) {}", self.describe().await),
        }
    }

    async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("cannot look for `{css}`: {error}"))
    }

    async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|error| panic!("cannot read the text of `{css}`: {error}"))
    }

    /// The element's text as written in the page, before CSS (such as `text-transform`) changes it.
    async fn text_content(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("textContent")
            .await
            .unwrap_or_else(|error| panic!("cannot read the text of `{css}`: {error}"))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    async fn heading(&self) -> String {
        self.text("h1").await
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        if let Err(error) = element.click().await {
            panic!("cannot click `{css}` ({error}) {}", self.describe().await);
        }
    }

    async fn click_link(&self, text: &str) {
        let link = match self.client.find(Locator::LinkText(text)).await {
            Ok(link) => link,
            Err(error) => panic!("no link \"{text}\" ({error}) {}", self.describe().await),
        };
        if let Err(error) = link.click().await {
            panic!(
                "cannot follow \"{text}\" ({error}) {}",
                self.describe().await
            );
        }
    }

    /// Types into the field with this id, replacing what it held.
    async fn fill(&self, id: &str, value: &str) {
        let field = self.find(&format!("#{id}")).await;
        field
            .clear()
            .await
            .unwrap_or_else(|error| panic!("cannot clear #{id}: {error}"));
        field
            .send_keys(value)
            .await
            .unwrap_or_else(|error| panic!("cannot type into #{id}: {error}"));
    }

    async fn value(&self, id: &str) -> String {
        self.find(&format!("#{id}"))
            .await
            .prop("value")
            .await
            .unwrap_or_else(|error| panic!("cannot read #{id}: {error}"))
            .unwrap_or_default()
    }

    /// Waits until the address starts with `prefix`, and the page has loaded.
    async fn wait_for_location(&self, prefix: &str) -> String {
        self.wait_for_address(prefix, |location| location.starts_with(prefix))
            .await
    }

    /// Waits until the address is `expected` exactly, and the page has loaded.
    async fn wait_for_exact_location(&self, expected: &str) -> String {
        self.wait_for_address(expected, |location| location == expected)
            .await
    }

    async fn wait_for_address(&self, wanted: &str, reached: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let location = self.location().await;
            let ready = self
                .client
                .execute("return document.readyState", Vec::new())
                .await
                .ok();
            if reached(&location) && ready == Some(json!("complete")) {
                return location;
            }
            if started.elapsed() > PATIENCE {
                panic!(
                    "expected to reach {wanted} within {PATIENCE:?}; {}",
                    self.describe().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element's text is `expected`.
    async fn wait_for_text(&self, css: &str, expected: &str) {
        let started = Instant::now();
        loop {
            // While the next page loads, the element found may be gone before its text is read: look again.
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text == expected {
                return;
            }
            if started.elapsed() > PATIENCE {
                panic!("`{css}` says \"{text}\", not \"{expected}\"");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The error summary's links: their text and where they go. Empty when the page has no summary.
    async fn error_summary(&self) -> Vec<(String, String)> {
        let mut items = Vec::new();
        for link in self.find_all(".error-summary a").await {
            let text = link.text().await.expect("the text of an error link");
            let href = link
                .attr("href")
                .await
                .expect("the href of an error link")
                .unwrap_or_default();
            items.push((text, href));
        }
        items
    }

    /// Signs in through the sign-in page; answers where it lands.
    async fn sign_in(&self, email: &str, home: &str) -> String {
        self.goto("/login").await;
        assert_eq!(self.heading().await, "Sign in");
        self.fill("email", email).await;
        self.fill("password", PASSWORD).await;
        self.click("main form button[type=submit]").await;
        self.wait_for_location(home).await
    }

    /// Saves a full-page PNG of what the browser shows, when `ETP_SCREENSHOTS` names a folder.
    async fn screenshot(&self, name: &str) {
        let Some(folder) = screenshot_folder() else {
            return;
        };
        // The field just typed into would show its focus ring; a focused error summary keeps its own.
        let size = self
            .client
            .execute(
                "var active = document.activeElement; \
                 if (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) { active.blur(); } \
                 return [Math.ceil(document.documentElement.scrollHeight), \
                 window.outerHeight - window.innerHeight];",
                Vec::new(),
            )
            .await
            .expect("measure the page");
        let page_height = size[0].as_u64().unwrap_or(u64::from(HEIGHT)) as u32;
        let chrome = size[1].as_u64().unwrap_or(0) as u32;
        let height = page_height.clamp(HEIGHT, MAX_SCREENSHOT_HEIGHT);
        self.client
            .set_window_size(WIDTH, height + chrome)
            .await
            .expect("make the window as tall as the page");
        let png = self.client.screenshot().await.expect("a screenshot");
        self.client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("set the window size back");
        let path = folder.join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    }
}

/// The folder named by `ETP_SCREENSHOTS`, made if need be; a relative one is taken from the workspace root
/// (tests run in `services/`).
fn screenshot_folder() -> Option<PathBuf> {
    let raw = std::env::var_os("ETP_SCREENSHOTS").filter(|value| !value.is_empty())?;
    let path = PathBuf::from(raw);
    let path = if path.is_absolute() {
        path
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace root")
            .join(path)
    };
    std::fs::create_dir_all(&path)
        .unwrap_or_else(|error| panic!("cannot make {}: {error}", path.display()));
    Some(path)
}

fn application_id(location: &str) -> String {
    location
        .trim_start_matches("/applications/")
        .split(['?', '/', '#'])
        .next()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("no application id in {location}"))
        .to_string()
}

/// Words of test text: `count` of them.
fn words(count: usize) -> String {
    vec!["test"; count].join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_registers_fills_in_every_section_and_submits() {
    let app = spawn_app(Backend::Sqlite).await;
    let browser = Browser::start(&app.address).await;
    let email = format!("browser-{}@example.test", uuid::Uuid::new_v4().simple());

    // The start page leads to registration.
    browser.goto("/").await;
    assert_eq!(browser.heading().await, "EtP Scholarships");
    browser.screenshot("01-start").await;
    browser.click_link("Register to apply").await;
    browser.wait_for_location("/register").await;
    assert_eq!(browser.heading().await, "Register to apply");
    browser.fill("full_name", "Test Browser Applicant").await;
    browser.fill("email", &email).await;
    browser.fill("password", PASSWORD).await;
    browser.screenshot("02-register").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_location("/applications").await;
    assert_eq!(browser.heading().await, "Your applications");
    assert!(
        browser
            .text("main")
            .await
            .contains("You have not started an application yet."),
        "{}",
        browser.describe().await
    );

    // Start an application: the overview of its sections.
    browser
        .click("form[action='/applications'] button[type=submit]")
        .await;
    let location = browser.wait_for_location("/applications/").await;
    let id = application_id(&location);
    assert_eq!(browser.heading().await, "Your application");

    // Personal details.
    browser.click_link("Personal details").await;
    browser
        .wait_for_location(&format!("/applications/{id}?section=personal"))
        .await;
    assert_eq!(browser.heading().await, "Personal details");
    // The name and email given at registration are already filled in.
    assert_eq!(
        browser.value("personal_full_name").await,
        "Test Browser Applicant"
    );
    assert_eq!(browser.value("personal_email").await, email);
    browser
        .fill("personal_full_name", "Test Browser Applicant")
        .await;
    // The date of birth in three fields, day, month and year, whatever the browser's language.
    browser.fill("personal_date_of_birth", "12").await;
    browser.fill("personal_date_of_birth-month", "4").await;
    browser.fill("personal_date_of_birth-year", "1998").await;
    assert_eq!(browser.value("personal_date_of_birth-month").await, "4");
    browser
        .fill("personal_email", "test.browser.applicant@example.test")
        .await;
    browser.fill("personal_phone", "+000 0000 0000").await;
    browser
        .fill("personal_address", "1 Test Street, Testtown")
        .await;
    browser.fill("personal_nationality", "Kenya").await;
    browser.fill("personal_country_of_residence", "Kenya").await;
    browser.screenshot("03-application-personal-details").await;
    browser.click("button[value=continue]").await;

    // Education.
    browser
        .wait_for_location(&format!("/applications/{id}?section=education&saved=1"))
        .await;
    assert_eq!(browser.heading().await, "Education");
    assert_eq!(
        browser.text(".notice").await,
        "Your answers have been saved."
    );
    browser
        .fill("education_0_institution", "Test University")
        .await;
    browser.fill("education_0_qualification", "BSc").await;
    browser.fill("education_0_subject", "Test Physics").await;
    browser.fill("education_0_year", "2020").await;
    browser.click("button[value=continue]").await;

    // Employment.
    browser
        .wait_for_location(&format!("/applications/{id}?section=employment"))
        .await;
    assert_eq!(browser.heading().await, "Employment");
    browser
        .fill("employment_0_employer", "Test Employer Ltd")
        .await;
    browser.fill("employment_0_role", "Test Analyst").await;
    browser.fill("employment_0_from", "9").await;
    browser.fill("employment_0_from-year", "2020").await;
    browser.click("button[value=continue]").await;

    // Course choices, then "save and come back later".
    browser
        .wait_for_location(&format!("/applications/{id}?section=courses"))
        .await;
    assert_eq!(browser.heading().await, "Course choices");
    browser
        .fill("courses_0_institution", "Test Institute")
        .await;
    browser
        .fill("courses_0_course", "MSc Test Data Science")
        .await;
    browser.fill("courses_0_level", "masters").await;
    browser.click("button[value=exit]").await;
    browser
        .wait_for_location(&format!("/applications/{id}?saved=1"))
        .await;
    assert_eq!(browser.heading().await, "Your application");
    for (slug, tag) in [
        ("personal", "Completed"),
        ("education", "Completed"),
        ("employment", "Optional"),
        ("courses", "Completed"),
        ("essays", "To do"),
        ("referees", "To do"),
        ("preferences", "Optional"),
    ] {
        assert_eq!(
            browser.text_content(&format!("#status-{slug}")).await,
            tag,
            "the overview's tag of {slug}"
        );
    }
    browser.screenshot("04-application-overview").await;

    // Submitting with essays and referees missing lists them, each a link to its field.
    browser.click_link("Check your answers and submit").await;
    browser
        .wait_for_location(&format!("/applications/{id}/check"))
        .await;
    browser.click("form[action$='/submit'] button").await;
    browser
        .wait_for_location(&format!("/applications/{id}/submit"))
        .await;
    let title = browser.client.title().await.expect("the page title");
    assert!(title.starts_with("Error: "), "title: {title}");
    assert_eq!(
        browser.text(".error-summary h2").await,
        "There is a problem"
    );
    let section = |slug: &str, field: &str| format!("/applications/{id}?section={slug}#{field}");
    assert_eq!(
        browser.error_summary().await,
        vec![
            (
                "Leadership essay is missing".to_string(),
                section("essays", "essays_leadership")
            ),
            (
                "Networking essay is missing".to_string(),
                section("essays", "essays_networking")
            ),
            (
                "Study plan essay is missing".to_string(),
                section("essays", "essays_study_plan")
            ),
            (
                "Career plan essay is missing".to_string(),
                section("essays", "essays_career_plan")
            ),
            (
                "Referee 1 is missing".to_string(),
                section("referees", "referees_0_name")
            ),
            (
                "Referee 2 is missing".to_string(),
                section("referees", "referees_1_name")
            ),
        ],
        "the error summary of an incomplete submission"
    );
    browser.screenshot("05-check-answers-with-errors").await;

    // The first link leads to the essays.
    browser.click_link("Leadership essay is missing").await;
    browser
        .wait_for_location(&format!("/applications/{id}?section=essays"))
        .await;
    assert_eq!(browser.heading().await, "Essays");
    let essays = [
        ("essays_leadership", "I led a test study group of twelve."),
        ("essays_networking", "I organised a regional test meetup."),
        ("essays_study_plan", "I will study test data science."),
        (
            "essays_career_plan",
            "I will work in public health analytics.",
        ),
    ];
    for (field, text) in essays {
        browser.fill(field, text).await;
    }
    browser
        .wait_for_text("#essays_leadership-count", "You have 492 words remaining")
        .await;
    browser.screenshot("06-application-essays").await;
    browser.click("button[value=continue]").await;

    // Referees.
    browser
        .wait_for_location(&format!("/applications/{id}?section=referees"))
        .await;
    assert_eq!(browser.heading().await, "Referees");
    browser.fill("referees_0_name", "Test Referee One").await;
    browser
        .fill("referees_0_email", "referee.one@example.test")
        .await;
    browser.fill("referees_1_name", "Test Referee Two").await;
    browser
        .fill("referees_1_email", "referee.two@example.test")
        .await;
    browser.click("button[value=continue]").await;

    // Choices about their information: the last section leads to the check page.
    browser
        .wait_for_location(&format!("/applications/{id}?section=preferences"))
        .await;
    assert_eq!(
        browser.heading().await,
        "Your choices about your information"
    );
    browser.click("#preferences_images_opt_out").await;
    browser.click("button[value=continue]").await;
    browser
        .wait_for_location(&format!("/applications/{id}/check"))
        .await;

    // Check your answers: every answer is there, and nothing is missing.
    assert_eq!(
        browser.heading().await,
        "Check your answers before submitting"
    );
    assert!(browser.error_summary().await.is_empty());
    let main = browser.text("main").await;
    for expected in [
        "Test Browser Applicant",
        "12 April 1998",
        "test.browser.applicant@example.test",
        "+000 0000 0000",
        "1 Test Street, Testtown",
        "Kenya",
        "Test University",
        "Test Physics",
        "2020",
        "Test Employer Ltd",
        "Test Analyst",
        "September 2020",
        "Test Institute",
        "MSc Test Data Science",
        "masters",
        "I led a test study group of twelve. (8 words)",
        "I will work in public health analytics.",
        "Test Referee One",
        "referee.two@example.test",
    ] {
        assert!(
            main.contains(expected),
            "the check page does not show \"{expected}\":\n{main}"
        );
    }
    let images = browser
        .find_all(".summary-row")
        .await
        .into_iter()
        .collect::<Vec<_>>();
    let mut images_answer = None;
    for row in images {
        let text = row.text().await.expect("a summary row");
        if text.starts_with("Do not publish images") {
            images_answer = Some(text);
        }
    }
    assert_eq!(
        images_answer.as_deref().map(|text| text.ends_with("Yes")),
        Some(true),
        "the images opt-out shows as chosen: {images_answer:?}"
    );
    browser.screenshot("07-check-answers").await;

    // Submit: the confirmation, with the application's reference, what happens next and how to reach
    // the Help Desk.
    browser.click("form[action$='/submit'] button").await;
    browser
        .wait_for_exact_location(&format!("/applications/{id}/submitted"))
        .await;
    assert_eq!(browser.heading().await, "Application submitted");
    assert_eq!(
        browser.text("#reference").await,
        services::letters::short_reference(&id)
    );
    let main = browser.text("main").await;
    assert!(main.contains("What happens next"), "{main}");
    let helpdesk = services::config::HelpDesk::default();
    assert!(
        browser
            .text("#helpdesk-contact")
            .await
            .contains(&helpdesk.email),
        "the Help Desk's contact details"
    );
    browser.screenshot("08-application-confirmation").await;

    // Then the status, and how to correct personal details from now on.
    browser.click("#view-application").await;
    browser
        .wait_for_exact_location(&format!("/applications/{id}"))
        .await;
    let status = browser.text("#status").await;
    assert!(
        status.starts_with("Submitted"),
        "the status after submitting: {status}"
    );
    assert_eq!(status, "Submitted: we are checking that you are eligible");
    let inset = browser.text(".inset").await;
    assert!(
        inset.contains("contact the Help Desk, who will make the amendment for you"),
        "the Help Desk sentence: {inset}"
    );
    assert!(
        browser
            .text(".timeline")
            .await
            .contains("You submitted your application")
    );
    assert!(
        browser.find_all("button[value=continue]").await.is_empty(),
        "a submitted application shows no form to edit"
    );
    browser.screenshot("08-application-submitted").await;

    // The list shows it too.
    browser.goto("/applications").await;
    assert!(
        browser
            .text("table")
            .await
            .contains("Submitted: we are checking that you are eligible")
    );

    browser.goto("/privacy").await;
    assert_eq!(browser.heading().await, "Privacy notice");
    browser.screenshot("14-privacy").await;

    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_the_emailed_link() {
    let sink = crate::helpers::smtp::SmtpSink::start().await;
    let app = spawn_app(Backend::Sqlite)
        .await
        .with_mail_server(&sink.url())
        .await;
    let applicant = app.applicant().await;
    let browser = Browser::start(&app.address).await;
    let new_password = "a brand new browser password";

    // From the sign-in page to the form that asks for a link.
    browser.goto("/login").await;
    browser.click_link("Forgotten your password?").await;
    browser.wait_for_exact_location("/password-reset").await;
    assert_eq!(browser.heading().await, "Reset your password");
    browser.fill("email", &applicant.email).await;
    browser.screenshot("15-password-reset").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_exact_location("/password-reset").await;
    browser.wait_for_text("h1", "Check your email").await;
    assert!(
        browser
            .text("#reset-sent")
            .await
            .starts_with("If an account uses that address, we have sent a link to it.")
    );

    // The email's link opens the page that sets a new password.
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].to, vec![applicant.email.clone()]);
    let body = mails[0].data.replace("=\r\n", "").replace("=3D", "=");
    let start = body.find(&app.address).expect("the link in the email");
    let link = body[start..].split_whitespace().next().unwrap().to_string();
    let path = link.strip_prefix(&app.address).unwrap().to_string();
    browser.goto(&path).await;
    assert_eq!(browser.heading().await, "Choose a new password");
    browser.fill("new_password", "too short").await;
    browser.click("main form button[type=submit]").await;
    let started = Instant::now();
    while browser.find_all(".error-summary").await.is_empty() {
        assert!(started.elapsed() < PATIENCE, "{}", browser.describe().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        browser.error_summary().await,
        vec![(
            "The new password must be 12 to 256 characters".to_string(),
            "#new_password".to_string()
        )]
    );
    browser.fill("new_password", new_password).await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_exact_location("/login?password_reset=1")
        .await;
    assert_eq!(
        browser.text(".notice").await,
        "Your password has been changed: sign in with the new one."
    );

    // The new password signs in; the link is spent.
    browser.fill("email", &applicant.email).await;
    browser.fill("password", new_password).await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_location("/applications").await;
    assert_eq!(browser.heading().await, "Your applications");
    browser.goto(&path).await;
    assert_eq!(browser.heading().await, "This link has expired");
    assert_eq!(
        browser
            .find("#ask-again")
            .await
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some("/password-reset")
    );

    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_word_count_follows_typing_in_an_essay() {
    let app = spawn_app(Backend::Sqlite).await;
    let applicant = app.applicant().await;
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&applicant.email, "/applications").await;
    browser
        .click("form[action='/applications'] button[type=submit]")
        .await;
    let id = application_id(&browser.wait_for_location("/applications/").await);
    browser
        .goto(&format!("/applications/{id}?section=essays"))
        .await;
    assert_eq!(browser.heading().await, "Essays");

    // Without JavaScript the page says "Up to 500 words."; the script replaces it as soon as it runs.
    let count = "#essays_leadership-count";
    browser
        .wait_for_text(count, "You have 500 words remaining")
        .await;
    browser
        .find("#essays_leadership")
        .await
        .send_keys("I led a test team")
        .await
        .expect("type into the essay");
    browser
        .wait_for_text(count, "You have 495 words remaining")
        .await;
    browser
        .find("#essays_leadership")
        .await
        .send_keys(" of six")
        .await
        .expect("type into the essay");
    browser
        .wait_for_text(count, "You have 493 words remaining")
        .await;

    // Near the limit: the script puts 498 words in, then the applicant types on.
    let essay = browser.find("#essays_leadership").await;
    browser
        .client
        .execute(
            "arguments[0].value = arguments[1];",
            vec![
                serde_json::to_value(&essay).expect("the essay element"),
                json!(words(498)),
            ],
        )
        .await
        .expect("fill the essay");
    essay.send_keys(" one").await.expect("type a word");
    browser
        .wait_for_text(count, "You have 1 word remaining")
        .await;
    essay.send_keys(" two").await.expect("type a word");
    browser
        .wait_for_text(count, "You have 0 words remaining")
        .await;
    let class = browser
        .find(count)
        .await
        .attr("class")
        .await
        .expect("the class of the count");
    assert!(
        !class.unwrap_or_default().contains("word-count-over"),
        "at the limit the count is not an error"
    );
    essay.send_keys(" three").await.expect("type a word");
    browser
        .wait_for_text(count, "You have 1 word too many")
        .await;
    let class = browser
        .find(count)
        .await
        .attr("class")
        .await
        .expect("the class of the count")
        .unwrap_or_default();
    assert!(
        class.contains("word-count-over"),
        "over the limit the count shows as an error: {class}"
    );

    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_programme_officer_finds_the_case_and_records_eligibility() {
    let app = spawn_app(Backend::Sqlite).await;
    // A submitted application ("Test Applicant Marker"), and another applicant's draft.
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let other = app.applicant().await;
    app.draft(&other).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let browser = Browser::start(&app.address).await;

    // Sign in: the officer starts at the case list.
    browser.sign_in(&officer.email, "/cases").await;
    assert_eq!(browser.heading().await, "Cases");
    assert!(browser.text("main").await.contains("2 cases."));
    browser.screenshot("09-cases").await;

    // Filter to the submitted ones, and open the case.
    browser
        .find("#status")
        .await
        .select_by_value("submitted")
        .await
        .expect("choose a status");
    browser.fill("q", "Marker").await;
    browser.click("form.filters button[type=submit]").await;
    browser.wait_for_location("/cases?").await;
    assert!(
        browser.text("main").await.contains("1 case."),
        "{}",
        browser.describe().await
    );
    browser.click_link("Test Applicant Marker").await;
    browser.wait_for_location(&format!("/cases/{id}")).await;
    assert_eq!(browser.heading().await, "Test Applicant Marker");
    assert_eq!(browser.text("#status").await, "Awaiting eligibility check");
    browser.screenshot("10-case").await;

    // Recording eligibility without an answer says what is missing.
    browser.fill("eligibility_reason", "Test reason").await;
    browser.click("#eligibility button[type=submit]").await;
    browser
        .wait_for_location(&format!("/cases/{id}/eligibility"))
        .await;
    assert_eq!(
        browser.error_summary().await,
        vec![(
            "Say whether the applicant is eligible".to_string(),
            "#eligibility_eligible".to_string()
        )]
    );
    assert_eq!(browser.text("#status").await, "Awaiting eligibility check");

    // Eligible: the status changes and the history shows who did it.
    browser.click("#eligible-yes").await;
    browser
        .fill("eligibility_reason", "Meets the test criteria")
        .await;
    browser.click("#eligibility button[type=submit]").await;
    browser
        .wait_for_location(&format!("/cases/{id}?done=eligibility"))
        .await;
    assert_eq!(browser.text(".notice").await, "Eligibility recorded.");
    assert_eq!(
        browser.text("#status").await,
        "Eligible: awaiting the committee"
    );
    assert!(
        browser.find_all("#eligibility").await.is_empty(),
        "eligibility cannot be recorded twice"
    );
    browser.click_link("History").await;
    browser
        .wait_for_location(&format!("/cases/{id}?tab=history"))
        .await;
    let history = browser.find_all("ol.timeline li").await;
    let latest = history
        .first()
        .expect("a history entry")
        .text()
        .await
        .expect("the latest history entry");
    assert!(
        latest.ends_with(
            "Eligibility decided: Eligible: Meets the test criteria — Test Staff (Programme officer)"
        ),
        "the latest history entry: {latest}"
    );

    // Assign the committee member on the committee's part of the case.
    browser.click_link("Committee").await;
    browser
        .wait_for_location(&format!("/cases/{id}?tab=committee"))
        .await;
    browser
        .find("#assignments")
        .await
        .select_by_value(&member.id)
        .await
        .expect("choose the committee member");
    browser
        .click("form[action$='/assignments'] button[type=submit]")
        .await;
    browser
        .wait_for_location(&format!("/cases/{id}?done=assignments"))
        .await;
    assert_eq!(
        browser.text("#status").await,
        "Under review by the committee"
    );
    browser.screenshot("11-case-under-review").await;

    // The member signs in, sees the assignment and scores it.
    browser.click("form[action='/logout'] button").await;
    browser.wait_for_location("/login?signed_out=1").await;
    assert_eq!(browser.text(".notice").await, "You have signed out.");
    browser.sign_in(&member.email, "/committee").await;
    assert_eq!(browser.heading().await, "Your assignments");
    browser.screenshot("12-committee").await;
    browser.click_link("Test Applicant Marker").await;
    browser.wait_for_location(&format!("/committee/{id}")).await;
    for (criterion, mark) in [
        ("leadership", "7"),
        ("networking", "6"),
        ("study_plan", "8"),
        ("career_plan", "7"),
    ] {
        browser
            .find(&format!("#scores_{criterion}"))
            .await
            .select_by_value(mark)
            .await
            .expect("choose a mark");
    }
    browser.fill("scores_comment", "A clear test plan.").await;
    browser.screenshot("13-committee-application").await;
    browser.click("#scores button[type=submit]").await;
    browser
        .wait_for_location(&format!("/committee/{id}?done=scores"))
        .await;
    assert_eq!(
        browser.text(".notice").await,
        "Your scores have been saved."
    );

    browser.finish().await;
}

/// The case page shows its summary before any action, and a decision, which sends a letter, is confirmed on
/// a page of its own before it is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_page_shows_its_summary_first_and_a_decision_is_confirmed_before_it_is_recorded() {
    let app = spawn_app(Backend::Sqlite).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/scores"),
            &member,
            crate::helpers::scores(7),
        )
        .await,
    );
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&officer.email, "/cases").await;
    browser.goto(&format!("/cases/{id}?tab=committee")).await;

    // The summary comes before the sub-navigation, and both before the first form, in the page's order.
    let order: Vec<bool> = browser
        .client
        .execute(
            "const at = (css) => document.querySelector(css); \
             const follows = (a, b) => !!(a && b && (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)); \
             return [follows(at('#case-summary'), at('#case-tabs')), \
                     follows(at('#case-tabs'), at('main form[method=post]')), \
                     at('#case-summary').getBoundingClientRect().top < at('#decision').getBoundingClientRect().top];",
            vec![],
        )
        .await
        .ok()
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default();
    assert_eq!(
        order,
        vec![true, true, true],
        "{}",
        browser.describe().await
    );
    assert_eq!(
        browser.text("#status").await,
        "Under review by the committee"
    );
    browser.screenshot("11a-case-committee").await;

    // Continue asks first, naming the letter that will be sent; nothing is recorded yet.
    browser.click("#outcome-selected").await;
    browser.click("#decision button[type=submit]").await;
    browser
        .wait_for_location(&format!("/cases/{id}/decision"))
        .await;
    assert_eq!(browser.heading().await, "Record this decision?");
    assert!(
        browser
            .text("#confirm-letter")
            .await
            .contains("you have been selected"),
        "{}",
        browser.describe().await
    );
    browser.screenshot("11b-case-confirm-decision").await;
    let (_, body) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(body["status"], "under_review");

    // Confirmed: recorded, and the case says so in words.
    browser.click("#confirm button[type=submit]").await;
    browser
        .wait_for_location(&format!("/cases/{id}?done=decision"))
        .await;
    assert_eq!(browser.text("#status").await, "Selected: award to be made");
    assert!(
        browser
            .text(".notice")
            .await
            .starts_with("Decision recorded")
    );
    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selected_applicant_replies_to_the_offer_on_their_page() {
    let app = spawn_app(Backend::Sqlite).await;
    let applicant = app.applicant().await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let id = app.decided_for(&applicant, &officer, "selected").await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/offer"),
            &officer,
            serde_json::json!({}),
        )
        .await,
    );
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&applicant.email, "/applications").await;
    browser.goto(&format!("/applications/{id}")).await;
    assert!(
        browser
            .text("#offer")
            .await
            .contains("Please accept or decline the offer by"),
        "{}",
        browser.describe().await
    );
    browser.screenshot("30-offer").await;

    // Declining without the tick is explained at the top and changes nothing.
    browser.click("#decline").await;
    browser
        .wait_for_location(&format!("/applications/{id}/offer"))
        .await;
    assert_eq!(
        browser.error_summary().await,
        vec![(
            "Tick the box to confirm that you want to decline the offer".to_string(),
            "#confirm_decline".to_string()
        )]
    );

    // Accepting: the page says so, and the offer can no longer be declined.
    browser.click("#accept").await;
    browser
        .wait_for_exact_location(&format!("/applications/{id}"))
        .await;
    assert!(
        browser
            .text("#offer-answer")
            .await
            .starts_with("You accepted the offer on"),
        "{}",
        browser.describe().await
    );
    assert!(browser.find_all("#decline").await.is_empty());
    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_information_officer_drafts_redacts_and_issues_a_subject_access_response() {
    let app = spawn_app(Backend::Sqlite).await;
    let applicant = app.applicant().await;
    app.submitted(&applicant).await;
    let information = app.staff(Role::InformationOfficer).await;
    let (_, logged) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": applicant.email},
                "subject_email": applicant.email, "description": "Test: everything about me",
            }),
        )
        .await;
    let id = logged["id"].as_str().expect("a request id").to_string();
    let page = format!("/requests/{id}");
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&information.email, "/requests").await;
    browser.goto(&page).await;

    // Preview: a draft, with the third parties withheld automatically and listed.
    browser.click("button[name=draft][value=yes]").await;
    browser.wait_for_location(&format!("{page}?done=")).await;
    let main = browser.text("main").await;
    assert!(main.contains("Draft response"), "{main}");
    assert!(
        main.contains("The names and email addresses of your referees"),
        "{main}"
    );
    browser.screenshot("20-request-draft").await;

    // Redact: the essay, on a ground of the Act, with the reason.
    browser
        .find("#withhold_item")
        .await
        .select_by_value("/records/applications/0/essays/leadership")
        .await
        .expect("choose the item");
    browser
        .find("#withhold_ground")
        .await
        .select_by_value("third_party")
        .await
        .expect("choose the ground");
    browser
        .fill("withhold_reason", "Test: it names another person")
        .await;
    browser.click("#withhold button[type=submit]").await;
    browser
        .wait_for_location(&format!("{page}?done=the%20item%20was%20withheld"))
        .await;
    let main = browser.text("main").await;
    assert!(
        main.contains("Application 1 › Essays › Leadership"),
        "{main}"
    );
    assert!(main.contains("Schedule 2, Part 3, paragraph 16"), "{main}");

    // Issue: answered, and the letter leaves the essay out and says why.
    browser.click("#issue button[type=submit]").await;
    browser
        .wait_for_location(&format!("{page}?done=the%20response%20was%20issued"))
        .await;
    assert!(browser.text("main").await.contains("Answered on"));
    assert!(
        browser.find_all("#withhold").await.is_empty(),
        "nothing changes once issued"
    );
    browser.click_link("Read the letter").await;
    browser.wait_for_location(&format!("{page}/letter")).await;
    let letter = browser.text("main").await;
    assert!(
        letter.contains("What we have withheld, and why"),
        "{letter}"
    );
    assert!(letter.contains("Test: it names another person"), "{letter}");
    assert!(
        !letter.contains("I led a study group of twelve."),
        "{letter}"
    );

    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_checks_the_decisions_and_the_letters_they_send_before_recording_them() {
    use crate::ranking::{application_assigned_to, score};
    let app = spawn_app(Backend::Sqlite).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let mut ids = Vec::new();
    for mark in [9, 7] {
        let (_, id) = application_assigned_to(&app, &officer, "2026-27", "Kenya", &[&member]).await;
        score(&app, &member, &id, mark).await;
        ids.push(id);
    }
    let names: Vec<String> = {
        let mut names = Vec::new();
        for id in &ids {
            let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
            names.push(view["personal"]["full_name"].as_str().unwrap().to_string());
        }
        names
    };

    let browser = Browser::start(&app.address).await;
    browser.sign_in(&officer.email, "/cases").await;
    browser.goto("/selection?cycle=2026-27").await;
    browser.fill("selected", "1").await;
    browser.fill("reserve", "0").await;
    browser.click("#unsuccessful_rest").await;
    browser.click("#batch-decisions button[type=submit]").await;
    browser
        .wait_for_text("h1", "Check the decisions before you record them")
        .await;
    // Nothing is recorded yet; the page names each applicant and counts the letters.
    let view = app.expect_ok(
        app.get(&format!("/api/applications/{}", ids[0]), &officer)
            .await,
    );
    assert_eq!(
        view["status"], "under_review",
        "the check page records nothing"
    );
    let table = browser.text("#preview").await;
    for name in &names {
        assert!(table.contains(name.as_str()), "{name} in {table}");
    }
    let counts = browser.text("#counts").await;
    assert!(
        counts.contains("Letters sent\n2") || counts.contains("Letters sent 2"),
        "{counts}"
    );
    let button = browser.text("main form button[type=submit]").await;
    assert_eq!(button, "Record 2 decisions and send 2 letters");
    browser.screenshot("selection-check").await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_text("h1", "Selection 2026-27").await;
    assert!(
        browser
            .text(".notice")
            .await
            .contains("2 decisions recorded")
    );
    for (id, want) in ids.iter().zip(["selected", "unsuccessful"]) {
        let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
        assert_eq!(view["status"], want);
    }
    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_a_cycles_terms_and_adds_a_staff_account() {
    let app = spawn_app(Backend::Sqlite).await;
    let admin = app.staff(Role::Admin).await;
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&admin.email, "/admin").await;
    assert_eq!(browser.heading().await, "Administration");

    // A cycle: refused with the message at the field and what was typed kept, then set.
    browser.click_link("Cycles").await;
    browser.wait_for_text("h1", "Cycles").await;
    browser.fill("cycle", "2031-32").await;
    browser.fill("opens_on", "1").await;
    browser.fill("opens_on-month", "October").await;
    browser.fill("opens_on-year", "2031").await;
    browser.fill("closes_on", "31").await;
    browser.fill("closes_on-month", "1").await;
    browser.fill("closes_on-year", "2032").await;
    browser.click("#blind_review").await;
    browser
        .click("form[action='/cycles'] button[type=submit]")
        .await;
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".error-summary"))
        .await
        .expect("the terms refused with an error summary");
    let summary = browser.error_summary().await;
    assert_eq!(
        summary,
        vec![(
            "The day the cycle opens must be a real date".to_string(),
            "#opens_on".to_string()
        )]
    );
    assert!(
        browser
            .text("#opens_on-error")
            .await
            .contains("The day the cycle opens must be a real date")
    );
    assert_eq!(
        browser.value("cycle").await,
        "2031-32",
        "what was typed is kept"
    );
    assert_eq!(browser.value("opens_on-month").await, "October");
    assert_eq!(browser.value("closes_on").await, "31");
    browser.fill("opens_on-month", "10").await;
    browser
        .click("form[action='/cycles'] button[type=submit]")
        .await;
    browser.wait_for_location("/cycles?done=").await;
    let table = browser.text("#cycles").await;
    assert!(
        table.contains("2031-32") && table.contains("1 October 2031"),
        "{table}"
    );
    let terms = app.expect_ok(app.get("/api/cycles/2031-32", &admin).await);
    assert_eq!(terms["blind_review"], json!(true));
    browser.screenshot("admin-cycles").await;

    // A staff account: added, listed, given another role.
    browser.click_link("Staff accounts").await;
    browser.wait_for_text("h1", "Staff accounts").await;
    browser.fill("full_name", "Test Staff Member").await;
    browser
        .fill("email", "test-staff-member@example.test")
        .await;
    browser
        .client
        .find(Locator::Css("#role option[value='helpdesk']"))
        .await
        .expect("the Help Desk role")
        .click()
        .await
        .expect("choose the role");
    browser
        .click("form[action='/users'] button[type=submit]")
        .await;
    browser.wait_for_location("/users?done=added").await;
    let accounts = browser.text("#staff-accounts").await;
    assert!(
        accounts.contains("test-staff-member@example.test"),
        "{accounts}"
    );
    assert!(accounts.contains("Help Desk"), "{accounts}");
    browser.screenshot("admin-users").await;
    browser.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_desks_amendment_without_a_reason_keeps_what_was_typed_and_says_what_is_missing() {
    let app = spawn_app(Backend::Sqlite).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let browser = Browser::start(&app.address).await;
    browser.sign_in(&helpdesk.email, "/cases").await;
    browser.goto(&format!("/cases/{id}")).await;
    browser
        .fill("amendments_personal_address", "2 New Street\nNew Town")
        .await;
    browser
        .fill("amendments_requested_by", "The applicant, by phone")
        .await;
    browser.click("#amendments button[type=submit]").await;
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".error-summary"))
        .await
        .expect("the amendment refused with an error summary");

    // The summary links to the field, the message stands beside it, and nothing typed is lost.
    assert_eq!(
        browser.error_summary().await,
        vec![(
            "Enter the reason for the amendment".to_string(),
            "#amendments_reason".to_string()
        )]
    );
    assert_eq!(
        browser.text_content("#amendments_reason-error").await,
        "Error: Enter the reason for the amendment"
    );
    let reason = browser.find("#amendments_reason").await;
    assert_eq!(
        reason.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert!(
        reason
            .attr("aria-describedby")
            .await
            .unwrap()
            .unwrap_or_default()
            .contains("amendments_reason-error")
    );
    assert_eq!(
        browser.value("amendments_personal_address").await,
        "2 New Street\nNew Town",
        "the new address is kept"
    );
    assert_eq!(
        browser.value("amendments_requested_by").await,
        "The applicant, by phone"
    );
    browser.screenshot("helpdesk-amendment-refused").await;

    // With the reason, it is recorded.
    browser.fill("amendments_reason", "Moved house").await;
    browser.click("#amendments button[type=submit]").await;
    browser
        .wait_for_location(&format!("/cases/{id}?done="))
        .await;
    let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &helpdesk).await);
    assert_eq!(view["personal"]["address"], "2 New Street\nNew Town");
    browser.finish().await;
}

/// Every page of every role under axe-core and the Nu HTML checker, in the same browser.
#[path = "accessibility.rs"]
mod accessibility;
