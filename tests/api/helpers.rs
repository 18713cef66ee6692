//! The test harness: a fresh store per test (a temporary SQLite file, or a new PostgreSQL database), the
//! real router served on a free port, and one helper per endpoint.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use domain::Role;
use projections::Db;
use services::accounts::{self, NewAccount};
use services::bus::AppState;
use services::crypto::MasterKey;

pub mod smtp;

/// The stores the behaviour suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "a long test password";

/// Where the PostgreSQL tests make their databases. They never skip: without a server they fail.
pub fn postgres_admin_url() -> String {
    std::env::var("ETP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Keeps a test's store alive, and removes it afterwards.
enum StoreGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, database: String },
}

impl Drop for StoreGuard {
    fn drop(&mut self) {
        if let StoreGuard::Postgres {
            admin_url,
            database,
        } = self
        {
            let admin_url = admin_url.clone();
            let database = database.clone();
            // Drop runs outside any runtime we may block: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async {
                        if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                            ))
                            .execute(&pool)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub backend: Backend,
    pub database_url: String,
    pub master_key: String,
    pub jwt_secret: String,
    pub state: AppState,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    _guard: Arc<StoreGuard>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A new store of the given kind with the service running on it.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with_master_key(backend, MasterKey::generate_hex()).await
}

/// A new store of the given kind with the service running on it, its data keys wrapped by `master_key`.
pub async fn spawn_app_with_master_key(backend: Backend, master_key: String) -> TestApp {
    let (database_url, guard) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}/etp.db", dir.path().display());
            (url, StoreGuard::Sqlite(dir))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let database = format!("etp_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&admin_url).await.unwrap_or_else(|error| {
                panic!(
                    "the PostgreSQL tests need a server at {admin_url} (set ETP_TEST_POSTGRES_URL): {error}"
                )
            });
            copy_of_template(&admin, &admin_url, &database).await;
            admin.close().await;
            let url = database_url(&admin_url, &database);
            // Every store has an id of its own, made when it is first migrated: the copy gets a new one.
            let store = sqlx::PgPool::connect(&url)
                .await
                .expect("the new test database");
            sqlx::query(
                "UPDATE store_identity SET id = gen_random_uuid()::text, created_at = now()",
            )
            .execute(&store)
            .await
            .expect("a new store id");
            store.close().await;
            (
                url,
                StoreGuard::Postgres {
                    admin_url,
                    database,
                },
            )
        }
    };
    let jwt_secret = format!("test-secret-{}", uuid::Uuid::new_v4().simple());
    serve(backend, database_url, guard, master_key, jwt_secret).await
}

/// A store a test made by restoring a backup: a folder holding `etp.db`, or a database on the test's
/// PostgreSQL server (made with [`new_postgres_database`]). It is removed with the app started on it.
pub enum RestoredStore {
    Sqlite(tempfile::TempDir),
    Postgres { database: String },
}

/// The URL of `database` on the test's PostgreSQL server.
fn database_url(admin_url: &str, database: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => panic!("ETP_TEST_POSTGRES_URL must name a database"),
    }
}

/// Makes `database` a copy of a database with every migration applied and nothing else. That template is
/// made once for each set of migrations (its name carries their fingerprint), by whichever test comes first;
/// copying it takes a fraction of the time of migrating a store anew, and the server still runs the
/// migrations as it starts (finding them all applied). Copies hold a shared advisory lock, and the making (or
/// scripts/test's removal of an earlier run's template) an exclusive one, so no copy is taken of a template
/// half made or being dropped.
async fn copy_of_template(admin: &sqlx::PgPool, admin_url: &str, database: &str) {
    use std::hash::{Hash, Hasher};
    // The migrations compiled into this binary, not the files beside it, which may have changed since.
    let mut fingerprint = std::collections::hash_map::DefaultHasher::new();
    services::store::open::migrations(true).hash(&mut fingerprint);
    let template = format!("etp_template_{:016x}", fingerprint.finish());

    let mut conn = admin
        .acquire()
        .await
        .expect("a connection to the test server");
    loop {
        advisory(&mut conn, "pg_advisory_lock_shared").await;
        let copied = template_exists(&mut conn, &template).await;
        if copied {
            sqlx::query(&format!(
                "CREATE DATABASE \"{database}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY"
            ))
            .execute(&mut *conn)
            .await
            .expect("create a test database");
        }
        advisory(&mut conn, "pg_advisory_unlock_shared").await;
        if copied {
            return;
        }

        advisory(&mut conn, "pg_advisory_lock").await;
        if !template_exists(&mut conn, &template).await {
            // Made under another name and renamed when complete, so a run stopped half-way leaves no template
            // that lacks a migration.
            let building = format!("{template}_building");
            for statement in [
                format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
                format!("CREATE DATABASE \"{building}\""),
            ] {
                sqlx::query(&statement)
                    .execute(&mut *conn)
                    .await
                    .expect("make the template");
            }
            let pool = sqlx::PgPool::connect(&database_url(admin_url, &building))
                .await
                .expect("the template database");
            services::store::migrate(&Db::Postgres(pool.clone()))
                .await
                .expect("migrate the template");
            pool.close().await;
            // A closed pool's server processes leave a moment later; until they have, PostgreSQL refuses the
            // rename with 55006 (the database is being accessed by other users).
            let mut tries = 0;
            loop {
                let renamed = sqlx::query(&format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
                ))
                .execute(&mut *conn)
                .await;
                match renamed {
                    Ok(_) => break,
                    Err(sqlx::Error::Database(error))
                        if error.code().as_deref() == Some("55006") && tries < 200 =>
                    {
                        tries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    Err(error) => panic!("name the template: {error}"),
                }
            }
        }
        advisory(&mut conn, "pg_advisory_unlock").await;
    }
}

/// Takes or releases the template's advisory lock with `function`.
async fn advisory(conn: &mut sqlx::PgConnection, function: &str) {
    sqlx::query(&format!("SELECT {function}(hashtext('etp test template'))"))
        .execute(conn)
        .await
        .expect("the template's lock");
}

async fn template_exists(conn: &mut sqlx::PgConnection, template: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(template)
        .fetch_one(conn)
        .await
        .expect("look for the template")
}

/// A new, empty database on the test's PostgreSQL server: its name and URL. Give it to
/// [`TestApp::on_restored_store`] (which removes it afterwards) once something is restored into it.
pub async fn new_postgres_database() -> (String, String) {
    let admin_url = postgres_admin_url();
    let database = format!("etp_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&admin_url)
        .await
        .expect("the PostgreSQL test server");
    sqlx::query(&format!("CREATE DATABASE \"{database}\""))
        .execute(&admin)
        .await
        .expect("create a test database");
    admin.close().await;
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => panic!("ETP_TEST_POSTGRES_URL must name a database"),
    };
    (database, url)
}

impl TestApp {
    /// The service started on a restored backup of this app's store, with the same secrets (the master key
    /// that wraps the data keys, and the JWT secret, so the tokens of this app work there too).
    pub async fn on_restored_store(&self, store: RestoredStore) -> TestApp {
        let (backend, database_url, guard) = match store {
            RestoredStore::Sqlite(dir) => {
                let url = format!("sqlite://{}/etp.db", dir.path().display());
                (Backend::Sqlite, url, StoreGuard::Sqlite(dir))
            }
            RestoredStore::Postgres { database } => {
                let admin_url = postgres_admin_url();
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{database}"),
                    None => panic!("ETP_TEST_POSTGRES_URL must name a database"),
                };
                (
                    Backend::Postgres,
                    url,
                    StoreGuard::Postgres {
                        admin_url,
                        database,
                    },
                )
            }
        };
        serve(
            backend,
            database_url,
            guard,
            self.master_key.clone(),
            self.jwt_secret.clone(),
        )
        .await
    }
}

/// The real router served on a free port, on the store, with these secrets.
async fn serve(
    backend: Backend,
    database_url: String,
    guard: StoreGuard,
    master_key: String,
    jwt_secret: String,
) -> TestApp {
    serve_with(
        backend,
        database_url,
        Arc::new(guard),
        master_key,
        jwt_secret,
        None,
    )
    .await
}

impl TestApp {
    /// The service started again on this app's store, with the same secrets, emailing its outcome letters
    /// through the mail server at `smtp_url` (as `ETP_SMTP_URL` and `ETP_MAIL_FROM` would have it).
    pub async fn with_mail_server(self, smtp_url: &str) -> TestApp {
        self.with_mail_server_and_office(smtp_url, None).await
    }

    /// As `with_mail_server`, with the programme office's address (`ETP_OFFICE_EMAIL`) where given.
    pub async fn with_mail_server_and_office(
        self,
        smtp_url: &str,
        office: Option<&str>,
    ) -> TestApp {
        let settings = services::config::MailSettings {
            smtp_url: services::config::Secret::new(smtp_url),
            from: MAIL_FROM.to_string(),
            office: office.map(str::to_string),
        };
        let mailer = services::letters::Mailer::new(&settings).expect("a valid mail server");
        serve_with(
            self.backend,
            self.database_url.clone(),
            self._guard.clone(),
            self.master_key.clone(),
            self.jwt_secret.clone(),
            Some(Arc::new(mailer)),
        )
        .await
    }
}

/// Who the letters' emails come from in the tests.
pub const MAIL_FROM: &str = "EtP Scholarships <letters@example.test>";

async fn serve_with(
    backend: Backend,
    database_url: String,
    guard: Arc<StoreGuard>,
    master_key: String,
    jwt_secret: String,
    mailer: Option<Arc<services::letters::Mailer>>,
) -> TestApp {
    let db = services::store::connect(&database_url)
        .await
        .expect("connect to the test store");
    services::store::migrate(&db)
        .await
        .expect("migrate the test store");
    let mut state = AppState::new(
        db,
        MasterKey::from_hex(&master_key).expect("a valid master key"),
        jwt_secret.as_bytes(),
    );
    state.settings_mut().mailer = mailer;
    // The suite registers many applicants from one address; the limit on registrations is tested on the
    // real binary (tests/api/hardening.rs).
    state.settings_mut().throttle.registrations_per_address = 1_000_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!(
        "http://{}",
        listener.local_addr().expect("the bound address")
    );
    // The links emailed (a password reset) lead to this server, as `ETP_PUBLIC_URL` would have it.
    state.settings_mut().public_url = Arc::from(address.as_str());
    let router = services::http::router(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("the test server runs");
    });
    TestApp {
        address,
        backend,
        database_url,
        master_key,
        jwt_secret,
        state,
        client: reqwest::Client::new(),
        server,
        _guard: guard,
    }
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub token: String,
    pub email: String,
}

impl TestApp {
    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Sends a request with an optional token and JSON body; answers the status and the JSON body
    /// (`Value::Null` when the body is not JSON).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .expect("the request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("a response body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, user: &User) -> (StatusCode, Value) {
        self.request(Method::GET, path, Some(&user.token), None)
            .await
    }

    pub async fn post(&self, path: &str, user: &User, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, user: &User, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, user: &User, body: Value) -> (StatusCode, Value) {
        self.request(Method::PUT, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn register(&self, email: &str, full_name: &str) -> (StatusCode, Value) {
        let body = json!({ "email": email, "password": PASSWORD, "full_name": full_name });
        self.request(Method::POST, "/api/auth/register", None, Some(body))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({ "email": email, "password": password });
        self.request(Method::POST, "/api/auth/login", None, Some(body))
            .await
    }

    /// A new applicant, registered and signed in.
    pub async fn applicant(&self) -> User {
        let email = format!("applicant-{}@example.test", uuid::Uuid::new_v4().simple());
        let (status, body) = self.register(&email, "Test Applicant").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        self.sign_in(&email).await
    }

    /// A new staff account of the role, as `etp users add` makes it, signed in.
    pub async fn staff(&self, role: Role) -> User {
        let email = format!(
            "{}-{}@example.test",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        let account =
            NewAccount::parse(&email, "Test Staff", role, PASSWORD).expect("a valid account");
        accounts::create(self.db(), account)
            .await
            .expect("create a staff account");
        self.sign_in(&email).await
    }

    pub async fn sign_in(&self, email: &str) -> User {
        let (status, body) = self.login(email, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        User {
            id: body["user_id"].as_str().expect("a user id").to_string(),
            token: body["token"].as_str().expect("a token").to_string(),
            email: email.to_string(),
        }
    }

    /// A new draft application of the applicant, in cycle 2026-27.
    pub async fn draft(&self, applicant: &User) -> String {
        let (status, body) = self
            .post(
                "/api/applications",
                applicant,
                json!({ "cycle": "2026-27" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().expect("an application id").to_string()
    }

    /// A draft with every section filled in.
    pub async fn complete_draft(&self, applicant: &User) -> String {
        let id = self.draft(applicant).await;
        let (status, body) = self
            .patch(
                &format!("/api/applications/{id}"),
                applicant,
                complete_form(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    /// A complete application, submitted.
    pub async fn submitted(&self, applicant: &User) -> String {
        let id = self.complete_draft(applicant).await;
        let (status, body) = self
            .post(
                &format!("/api/applications/{id}/submit"),
                applicant,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    /// A submitted application taken through eligibility and assignment to the member: under review.
    pub async fn under_review(&self, officer: &User, member: &User) -> String {
        let applicant = self.applicant().await;
        let id = self.submitted(&applicant).await;
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/eligibility"),
                officer,
                json!({"eligible": true, "reason": "meets the rules"}),
            )
            .await,
        );
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/assignments"),
                officer,
                json!({"committee_member_id": member.id}),
            )
            .await,
        );
        id
    }

    /// An application taken to the decision `outcome`.
    pub async fn decided(&self, officer: &User, outcome: &str) -> String {
        let member = self.staff(Role::CommitteeMember).await;
        let id = self.under_review(officer, &member).await;
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/scores"),
                &member,
                scores(7),
            )
            .await,
        );
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/decision"),
                officer,
                json!({"outcome": outcome}),
            )
            .await,
        );
        id
    }

    /// An application selected and awarded.
    pub async fn awarded(&self, officer: &User) -> String {
        let id = self.decided(officer, "selected").await;
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/award"),
                officer,
                award_terms(),
            )
            .await,
        );
        id
    }

    /// The applicant's complete application, submitted, found eligible and assigned to the member.
    pub async fn under_review_for(
        &self,
        applicant: &User,
        officer: &User,
        member: &User,
    ) -> String {
        let id = self.submitted(applicant).await;
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/eligibility"),
                officer,
                json!({"eligible": true, "reason": "meets the rules"}),
            )
            .await,
        );
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/assignments"),
                officer,
                json!({"committee_member_id": member.id}),
            )
            .await,
        );
        id
    }

    /// The applicant's application taken to the decision `outcome`, scored by a new committee member.
    pub async fn decided_for(&self, applicant: &User, officer: &User, outcome: &str) -> String {
        let member = self.staff(Role::CommitteeMember).await;
        let id = self.under_review_for(applicant, officer, &member).await;
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/scores"),
                &member,
                scores(7),
            )
            .await,
        );
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/decision"),
                officer,
                json!({"outcome": outcome}),
            )
            .await,
        );
        id
    }

    /// The applicant's application selected and awarded.
    pub async fn awarded_for(&self, applicant: &User, officer: &User) -> String {
        let id = self.decided_for(applicant, officer, "selected").await;
        self.expect_ok(
            self.post(
                &format!("/api/applications/{id}/award"),
                officer,
                award_terms(),
            )
            .await,
        );
        id
    }

    pub fn expect_ok(&self, (status, body): (StatusCode, Value)) -> Value {
        assert!(
            status.is_success(),
            "expected success, got {status}: {body}"
        );
        body
    }
}

/// Every section of the form, filled in with test data.
pub fn complete_form() -> Value {
    json!({
        "personal": {
            "full_name": "Test Applicant Marker",
            "date_of_birth": "1998-04-12",
            "email": "applicant.marker@example.test",
            "phone": "+000 0000 0000",
            "address": "1 Test Street, Testtown",
            "nationality": "Kenya",
            "country_of_residence": "Kenya"
        },
        "education": [{"institution": "Test University", "qualification": "BSc", "subject": "Physics", "year": 2020}],
        "employment": [{"employer": "Test Employer", "role": "Analyst", "from": "2020-09"}],
        "courses": [{"institution": "Test Institute", "course": "MSc Data Science", "level": "masters"}],
        "essays": {
            "leadership": "I led a study group of twelve.",
            "networking": "I organised a regional meetup.",
            "study_plan": "I will study data science.",
            "career_plan": "I will work in public health analytics."
        },
        "referees": [
            {"name": "Test Referee One", "email": "referee1@example.test"},
            {"name": "Test Referee Two", "email": "referee2@example.test"}
        ]
    })
}

pub fn scores(mark: i64) -> Value {
    json!({"leadership": mark, "networking": mark, "study_plan": mark, "career_plan": mark, "comment": "clear plan"})
}

pub fn award_terms() -> Value {
    json!({"institution": "Test Institute", "course": "MSc Data Science", "level": "masters", "start_date": "2027-09-20"})
}

/// Runs each named test on SQLite and on PostgreSQL, by the same code: `name::sqlite`, `name::postgres`.
/// An attribute before a name (such as `#[ignore = "…"]`) is put on both of its tests.
#[macro_export]
macro_rules! on_both_stores {
    ($($(#[$attribute:meta])* $name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attribute])*
                async fn sqlite() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$attribute])*
                async fn postgres() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await;
                }
            }
        )*
    };
}

/// Every application's view as a row of text, opened with its application's key (the table keeps each
/// sealed, under a fresh nonce every time it is written, so its raw bytes differ between two stores or two
/// rebuilds that hold the same view): its id, its version and its document, in id order.
pub async fn opened_application_views(
    db: &Db,
    keys: &dyn projections::sealed::Keyring,
) -> Vec<String> {
    const IDS: &str = "SELECT id FROM application_views ORDER BY id";
    let ids: Vec<String> =
        projections::on_pool!(db, p => sqlx::query_scalar(IDS).fetch_all(p).await)
            .expect("the views' ids");
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let view = projections::application_view::find(db, keys, &id)
            .await
            .expect("a view opens with its application's key")
            .expect("the view is there");
        let doc = serde_json::to_string(&view).expect("a view serialises");
        rows.push(format!("{id} {} {doc}", view.version));
    }
    rows
}
