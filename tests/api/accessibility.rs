//! Every page of every role, and the error states of its forms, checked in the same headless Chromium the
//! browser tests use: axe-core (WCAG 2.0, 2.1 and 2.2 at A and AA) must find no violation, and the Nu HTML
//! checker (vnu) no error in the HTML the browser was given. Both come from the npm registry, pinned in
//! `tests/a11y/package.json` and installed by `scripts/a11y-setup` (which `scripts/test` runs); vnu runs on
//! Java. Without them this test fails, it never skips.
//!
//! The pages are the GET routes of the page matrix (`page_matrix::PAGE_ROUTES`): the test fails if one that
//! answers HTML is visited by no role here. With `ETP_SCREENSHOTS` set, the main page of each role is also
//! saved at 1280 and 375 CSS pixels wide (`docs/screenshots/` holds the ones committed).

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::*;
use crate::helpers::{TestApp, User};

/// The WCAG levels axe checks.
const WCAG_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// The GET routes that answer something other than an HTML page.
const NOT_PAGES: [&str; 3] = [
    "/alumni/open-book.csv",
    "/requests/{id}/response.json",
    "/assets/{file}",
];

/// The widths of the screenshots: a desktop and a phone.
const SCREENSHOT_WIDTHS: [u32; 2] = [1280, 375];

fn checkers_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .join("tests/a11y/node_modules")
}

fn axe_source() -> String {
    let path = checkers_folder().join("axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "the accessibility test needs axe-core at {} (run scripts/a11y-setup): {error}",
            path.display()
        )
    })
}

fn vnu_jar() -> PathBuf {
    let path = checkers_folder().join("vnu-jar/build/dist/vnu.jar");
    assert!(
        path.exists(),
        "the accessibility test needs the Nu HTML checker at {} (run scripts/a11y-setup)",
        path.display()
    );
    path
}

/// One page state checked: who saw it, the route it came from, and what axe found.
struct Checked {
    name: String,
    violations: Vec<String>,
}

/// What the walk has checked so far, and the HTML of each page for vnu.
struct Walk {
    axe: String,
    html_folder: tempfile::TempDir,
    checked: Vec<Checked>,
    routes: BTreeSet<&'static str>,
}

impl Walk {
    /// Runs axe on the page the browser shows, and keeps its HTML for vnu.
    async fn check(&mut self, browser: &Browser, name: &str) {
        let found = browser
            .client
            .execute(&self.axe, Vec::new())
            .await
            .map(|_| ());
        assert!(found.is_ok(), "axe could not be loaded into {name}");
        let script = format!(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, {{runOnly: {{type: 'tag', values: {tags}}}, resultTypes: ['violations']}}) \
               .then(result => done(result.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + \
                  ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')))) \
               .catch(error => done(['axe failed: ' + error]));",
            tags = serde_json::to_string(&WCAG_TAGS).unwrap()
        );
        let answer = browser
            .client
            .execute_async(&script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("axe did not run on {name}: {error}"));
        let violations: Vec<String> = answer
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        // On a phone's width nothing makes the page scroll sideways: a wide table scrolls in its own box.
        browser
            .client
            .set_window_size(375, HEIGHT)
            .await
            .expect("a phone's width");
        let overflow = browser
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                Vec::new(),
            )
            .await
            .ok()
            .and_then(|value| value.as_i64())
            .unwrap_or(0);
        browser
            .client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .expect("the desktop width again");
        let mut violations = violations;
        if overflow > 0 {
            violations.push(format!(
                "at 375 px wide the page scrolls sideways by {overflow} px"
            ));
        }
        let source = browser.client.source().await.expect("the page's HTML");
        let html = if source.trim_start().to_lowercase().starts_with("<!doctype") {
            source
        } else {
            format!("<!DOCTYPE html>\n{source}")
        };
        let file = format!("{:03}-{}.html", self.checked.len(), file_name(name));
        std::fs::write(self.html_folder.path().join(file), html).expect("keep the page's HTML");
        self.checked.push(Checked {
            name: name.to_string(),
            violations,
        });
    }

    /// Goes to a page of `route` (its pattern in the router) and checks it.
    async fn visit(&mut self, browser: &Browser, route: &'static str, path: &str, who: &str) {
        browser.goto(path).await;
        self.routes.insert(route);
        self.check(browser, &format!("{who} {path}")).await;
    }
}

fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Sends the page's (first) form as it is, and waits for the page that refuses it with an error summary.
async fn refused(browser: &Browser) {
    let before = browser.location().await;
    browser.click("main form button[type=submit]").await;
    let summary = browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".error-summary"))
        .await;
    if summary.is_err() {
        panic!(
            "the form sent from {before} was not refused with an error summary {}",
            browser.describe().await
        );
    }
}

/// Saves a full-page PNG at a width, when `ETP_SCREENSHOTS` names a folder.
async fn screenshot_at(browser: &Browser, name: &str, width: u32) {
    let Some(folder) = screenshot_folder() else {
        return;
    };
    let size = browser
        .client
        .execute(
            "return [Math.ceil(document.documentElement.scrollHeight), \
             window.outerHeight - window.innerHeight];",
            Vec::new(),
        )
        .await
        .expect("measure the page");
    let page_height = size[0].as_u64().unwrap_or(u64::from(HEIGHT)) as u32;
    let chrome = size[1].as_u64().unwrap_or(0) as u32;
    let height = page_height.clamp(HEIGHT, MAX_SCREENSHOT_HEIGHT);
    browser
        .client
        .set_window_size(width, height + chrome)
        .await
        .expect("make the window as tall as the page");
    let png = browser.client.screenshot().await.expect("a screenshot");
    let path = folder.join(format!("{name}.png"));
    std::fs::write(&path, png)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

/// Saves the page at each screenshot width, when `ETP_SCREENSHOTS` names a folder.
async fn screenshots(browser: &Browser, name: &str) {
    if screenshot_folder().is_none() {
        return;
    }
    for width in SCREENSHOT_WIDTHS {
        browser
            .client
            .set_window_size(width, HEIGHT)
            .await
            .expect("set the window's width");
        screenshot_at(browser, &format!("{name}-{width}"), width).await;
    }
    browser
        .client
        .set_window_size(WIDTH, HEIGHT)
        .await
        .expect("set the window size back");
}

/// Signs out by forgetting the session cookie (the sign-out button is checked with the header's pages).
async fn sign_out(browser: &Browser) {
    browser
        .client
        .delete_all_cookies()
        .await
        .expect("forget the session");
}

/// An information request of the kind, logged through the API; a SAR drafted, an FOI answered, if asked.
async fn logged_request(app: &TestApp, information: &User, subject: &User, kind: &str) -> String {
    let body = json!({
        "kind": kind, "received_on": chrono::Utc::now().date_naive().to_string(),
        "requester": {"name": "Test Requester", "email": subject.email},
        "subject_email": subject.email, "description": "Test: a request",
    });
    let answer = app.expect_ok(
        app.post("/api/information-requests", information, body)
            .await,
    );
    answer["id"].as_str().expect("the request's id").to_string()
}

#[tokio::test]
async fn every_page_of_every_role_passes_axe_and_the_html_checker() {
    let axe = axe_source();
    let vnu = vnu_jar();
    let app = spawn_app(Backend::Sqlite).await;

    // The people and the cases their pages show.
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let information = app.staff(Role::InformationOfficer).await;
    let admin = app.staff(Role::Admin).await;
    let applicant = app.applicant().await;
    let draft = app.draft(&applicant).await;
    let under_review = app.under_review(&officer, &member).await;
    let decided_applicant = app.applicant().await;
    let decided = app
        .decided_for(&decided_applicant, &officer, "unsuccessful")
        .await;
    let awarded_applicant = app.applicant().await;
    let awarded = app.awarded_for(&awarded_applicant, &officer).await;
    let sar = logged_request(&app, &information, &awarded_applicant, "sar").await;
    app.expect_ok(
        app.post(
            &format!("/api/information-requests/{sar}/response"),
            &information,
            json!({"draft": true}),
        )
        .await,
    );
    let foi = logged_request(&app, &information, &applicant, "foi").await;
    let answered = logged_request(&app, &information, &applicant, "foi").await;
    app.expect_ok(
        app.post(
            &format!("/api/information-requests/{answered}/response"),
            &information,
            json!({"held": "not_held", "answer": "We do not hold it."}),
        )
        .await,
    );
    let erasure = logged_request(&app, &information, &decided_applicant, "erasure").await;

    let browser = Browser::start(&app.address).await;
    let mut walk = Walk {
        axe,
        html_folder: tempfile::tempdir().expect("a folder for the pages' HTML"),
        checked: Vec::new(),
        routes: BTreeSet::new(),
    };

    // A visitor, and the sign-in and registration forms refused.
    walk.visit(&browser, "/", "/", "visitor").await;
    screenshots(&browser, "visitor-home").await;
    walk.visit(&browser, "/privacy", "/privacy", "visitor")
        .await;
    walk.visit(&browser, "/contact", "/contact", "visitor")
        .await;
    walk.visit(&browser, "/accessibility", "/accessibility", "visitor")
        .await;
    walk.visit(&browser, "/password-reset", "/password-reset", "visitor")
        .await;
    walk.visit(
        &browser,
        "/password-reset/{token}",
        "/password-reset/not-a-link-we-sent",
        "visitor",
    )
    .await;
    walk.visit(&browser, "/register", "/register", "visitor")
        .await;
    refused(&browser).await;
    walk.check(&browser, "visitor: registration refused").await;
    walk.visit(&browser, "/login", "/login", "visitor").await;
    browser.fill("email", "nobody@example.test").await;
    browser.fill("password", "not the password").await;
    refused(&browser).await;
    walk.check(&browser, "visitor: sign-in refused").await;
    walk.visit(
        &browser,
        "/alumni/open-book",
        "/alumni/open-book",
        "visitor",
    )
    .await;

    // The applicant: their applications, each section, its errors, the check page and the refused submission.
    browser.sign_in(&applicant.email, "/applications").await;
    walk.visit(&browser, "/applications", "/applications", "applicant")
        .await;
    screenshots(&browser, "applicant-applications").await;
    walk.visit(
        &browser,
        "/applications/{id}",
        &format!("/applications/{draft}"),
        "applicant",
    )
    .await;
    for (slug, _) in services::pages::applicant::SECTIONS {
        walk.visit(
            &browser,
            "/applications/{id}",
            &format!("/applications/{draft}?section={slug}"),
            "applicant",
        )
        .await;
    }
    browser
        .goto(&format!("/applications/{draft}?section=personal"))
        .await;
    browser.fill("personal_email", "not an email").await;
    refused(&browser).await;
    walk.check(&browser, "applicant: personal details refused")
        .await;
    walk.visit(
        &browser,
        "/applications/{id}/check",
        &format!("/applications/{draft}/check"),
        "applicant",
    )
    .await;
    walk.visit(&browser, "/account", "/account", "applicant")
        .await;
    sign_out(&browser).await;

    // An applicant told the outcome: their submitted application and its letter.
    browser
        .sign_in(&decided_applicant.email, "/applications")
        .await;
    walk.visit(
        &browser,
        "/applications/{id}",
        &format!("/applications/{decided}"),
        "decided applicant",
    )
    .await;
    walk.visit(
        &browser,
        "/applications/{id}/letters/{number}",
        &format!("/applications/{decided}/letters/1"),
        "decided applicant",
    )
    .await;
    walk.visit(
        &browser,
        "/applications/{id}/submitted",
        &format!("/applications/{decided}/submitted"),
        "decided applicant",
    )
    .await;
    sign_out(&browser).await;

    // The programme officer.
    browser.sign_in(&officer.email, "/cases").await;
    walk.visit(&browser, "/cases", "/cases", "officer").await;
    screenshots(&browser, "officer-cases").await;
    for id in [&under_review, &decided, &awarded] {
        walk.visit(&browser, "/cases/{id}", &format!("/cases/{id}"), "officer")
            .await;
    }
    screenshots(&browser, "officer-case").await;
    walk.visit(
        &browser,
        "/cases/{id}/letters/{number}",
        &format!("/cases/{decided}/letters/1"),
        "officer",
    )
    .await;
    walk.visit(
        &browser,
        "/cases/{id}/administration",
        &format!("/cases/{awarded}/administration"),
        "officer",
    )
    .await;
    // A refused date on the case page: the award tab's immigration record sent without its date.
    browser.goto(&format!("/cases/{awarded}?tab=award")).await;
    browser
        .click("#immigration_records button[type=submit]")
        .await;
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".error-summary"))
        .await
        .expect("the immigration record refused");
    walk.check(&browser, "officer: immigration record refused")
        .await;
    walk.visit(&browser, "/selection", "/selection", "officer")
        .await;
    walk.visit(&browser, "/recipients", "/recipients", "officer")
        .await;
    sign_out(&browser).await;

    // The Help Desk.
    browser.sign_in(&helpdesk.email, "/cases").await;
    walk.visit(&browser, "/cases", "/cases", "helpdesk").await;
    walk.visit(
        &browser,
        "/cases/{id}",
        &format!("/cases/{awarded}"),
        "helpdesk",
    )
    .await;
    screenshots(&browser, "helpdesk-case").await;
    walk.visit(
        &browser,
        "/helpdesk/password-reset",
        "/helpdesk/password-reset",
        "helpdesk",
    )
    .await;
    refused(&browser).await;
    walk.check(&browser, "helpdesk: reset link refused").await;
    browser.goto(&format!("/cases/{awarded}")).await;
    browser.click("#amendments button[type=submit]").await;
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".error-summary"))
        .await
        .expect("the amendment refused");
    walk.check(&browser, "helpdesk: amendment refused").await;
    sign_out(&browser).await;

    // The committee member.
    browser.sign_in(&member.email, "/committee").await;
    walk.visit(&browser, "/committee", "/committee", "committee member")
        .await;
    screenshots(&browser, "committee-assignments").await;
    walk.visit(
        &browser,
        "/committee/{id}",
        &format!("/committee/{under_review}"),
        "committee member",
    )
    .await;
    sign_out(&browser).await;

    // The information officer.
    browser.sign_in(&information.email, "/requests").await;
    walk.visit(&browser, "/requests", "/requests", "information officer")
        .await;
    screenshots(&browser, "information-officer-requests").await;
    for id in [&sar, &foi, &answered, &erasure] {
        walk.visit(
            &browser,
            "/requests/{id}",
            &format!("/requests/{id}"),
            "information officer",
        )
        .await;
    }
    walk.visit(
        &browser,
        "/requests/{id}/draft-letter",
        &format!("/requests/{sar}/draft-letter"),
        "information officer",
    )
    .await;
    walk.visit(
        &browser,
        "/requests/{id}/letter",
        &format!("/requests/{answered}/letter"),
        "information officer",
    )
    .await;
    walk.visit(&browser, "/retention", "/retention", "information officer")
        .await;
    walk.visit(&browser, "/requests", "/requests", "information officer")
        .await;
    refused(&browser).await;
    walk.check(&browser, "information officer: request refused")
        .await;
    sign_out(&browser).await;

    // The administrator.
    browser.sign_in(&admin.email, "/admin").await;
    walk.visit(&browser, "/admin", "/admin", "admin").await;
    screenshots(&browser, "admin-overview").await;
    walk.visit(&browser, "/cycles", "/cycles", "admin").await;
    refused(&browser).await;
    walk.check(&browser, "admin: cycle terms refused").await;
    walk.visit(&browser, "/users", "/users", "admin").await;
    browser
        .click("form[action='/users'] button[type=submit]")
        .await;
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(".error-summary"))
        .await
        .expect("the staff account refused");
    walk.check(&browser, "admin: staff account refused").await;
    browser
        .click(&format!(
            "form[action='/users/{}'] button[value=reset]",
            helpdesk.id
        ))
        .await;
    browser
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("#reset-link"))
        .await
        .expect("the password link shown");
    walk.check(&browser, "admin: a password link shown once")
        .await;
    walk.visit(&browser, "/recipients", "/recipients", "admin")
        .await;
    refused(&browser).await;
    walk.check(&browser, "admin: recipient refused").await;
    walk.visit(&browser, "/account", "/account", "admin").await;
    browser.finish().await;

    // Every page route that answers HTML was seen by someone.
    let unvisited: Vec<&str> = crate::page_matrix::PAGE_ROUTES
        .iter()
        .filter(|(method, path)| *method == "GET" && !NOT_PAGES.contains(path))
        .map(|(_, path)| *path)
        .filter(|path| !walk.routes.contains(path))
        .collect();
    assert!(
        unvisited.is_empty(),
        "no role's walk visited these pages: {unvisited:?}"
    );

    // axe: no violation at WCAG 2.2 AA on any page state.
    let failures: Vec<String> = walk
        .checked
        .iter()
        .filter(|checked| !checked.violations.is_empty())
        .map(|checked| format!("{}:\n  {}", checked.name, checked.violations.join("\n  ")))
        .collect();
    assert!(
        walk.checked.len() >= 40,
        "only {} page states were checked",
        walk.checked.len()
    );
    assert!(
        failures.is_empty(),
        "axe found violations on {} of {} page states:\n{}",
        failures.len(),
        walk.checked.len(),
        failures.join("\n")
    );

    // vnu: no error in any page's HTML.
    let output = std::process::Command::new("java")
        .arg("-jar")
        .arg(&vnu)
        .args(["--errors-only", "--format", "json"])
        .arg(walk.html_folder.path())
        .output()
        .unwrap_or_else(|error| {
            panic!("the Nu HTML checker needs Java (scripts/a11y-setup installs it): {error}")
        });
    let report: Value = serde_json::from_slice(&output.stderr)
        .or_else(|_| serde_json::from_slice(&output.stdout))
        .unwrap_or_else(|error| {
            panic!(
                "the Nu HTML checker's report is not JSON ({error}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let errors: Vec<String> = report["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| message["type"] == "error" || message["subType"] == "fatal")
        .map(|message| {
            format!(
                "{} line {}: {} ({})",
                message["url"]
                    .as_str()
                    .unwrap_or("?")
                    .rsplit('/')
                    .next()
                    .unwrap_or("?"),
                message["lastLine"],
                message["message"].as_str().unwrap_or("?"),
                message["extract"].as_str().unwrap_or("").replace('\n', " ")
            )
        })
        .collect();
    assert!(
        errors.is_empty(),
        "the Nu HTML checker found {} errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
