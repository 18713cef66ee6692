//! The running service's state, and how a command is carried out.

use std::sync::Arc;

use chrono::Utc;
use cqrs_es::{Aggregate, AggregateError, CqrsFramework};

use domain::application::{Application, ApplicationCommand, ApplicationServices};
use domain::cycle::{Cycle, CycleCommand};
use domain::immigration::{ImmigrationCommand, ImmigrationRecord};
use domain::recipient::{Recipient, RecipientCommand};
use domain::request::{InformationRequest, RequestCommand};
use domain::{Actor, Authored};
use projections::{Db, EventMetadata};

use crate::accounts::AccountDirectory;
use crate::auth::TokenKeys;
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::error::AppError;
use crate::metrics::CommandOutcome;
use crate::store::EventRepository;
use crate::store::cached::CachedEventStore;

type Framework<A> = CqrsFramework<A, CachedEventStore<A>>;

/// How many times a command is tried when another command on the same stream commits first.
const ATTEMPTS: usize = 3;

/// Everything a request handler needs, shared: a clone (several for every request, one for each extractor
/// and layer that takes the state) is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct Shared {
    pub db: Db,
    pub repo: EventRepository,
    /// The token keys, shared: the state is cloned for every request, and keys and their validation rules
    /// are not cheap to copy.
    pub tokens: Arc<TokenKeys>,
    /// The standings of tokens read in the last second (`accounts::Standings`).
    pub standings: Arc<crate::accounts::Standings>,
    /// The back-off of failed sign-ins.
    pub throttle: crate::throttle::Throttle,
    /// Whether cookies are marked Secure (the service is reached over HTTPS).
    pub secure_cookies: bool,
    /// Where destructions are also written, outside the database (`ETP_RETENTION_LEDGER`).
    pub retention_ledger: Option<Arc<std::path::Path>>,
    /// The reverse proxies whose `X-Forwarded-For` is believed (`ETP_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// What `GET /metrics` publishes of this process, and who may read it.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The mail server the outcome letters are emailed through (`ETP_SMTP_URL`); `None`: not emailed.
    pub mailer: Option<Arc<crate::mail::Mailer>>,
    /// The address people reach the service at (`ETP_PUBLIC_URL`), the start of links emailed.
    pub public_url: Arc<str>,
    /// How applicants reach the Help Desk (`ETP_HELPDESK_EMAIL`, `ETP_HELPDESK_PHONE`, `ETP_HELPDESK_HOURS`).
    pub helpdesk: Arc<crate::config::HelpDesk>,
    applications: Arc<Framework<Application>>,
    immigration: Arc<Framework<ImmigrationRecord>>,
    recipients: Arc<Framework<Recipient>>,
    requests: Arc<Framework<InformationRequest>>,
    cycles: Arc<Framework<Cycle>>,
}

impl AppState {
    /// The state's settings to change while it is being set up (copied first if it is already shared).
    pub fn settings_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    pub fn new(db: Db, master: MasterKey, jwt_secret: &[u8]) -> Self {
        let repo = EventRepository::new(db.clone(), Arc::new(master));
        let services = ApplicationServices {
            staff: Arc::new(AccountDirectory::new(db.clone())),
            cycles: Arc::new(projections::cycles::CycleCalendar::new(db.clone())),
        };
        let applications =
            CqrsFramework::new(CachedEventStore::new(repo.clone()), vec![], services);
        let immigration = CqrsFramework::new(CachedEventStore::new(repo.clone()), vec![], ());
        let recipients = CqrsFramework::new(CachedEventStore::new(repo.clone()), vec![], ());
        let requests = CqrsFramework::new(CachedEventStore::new(repo.clone()), vec![], ());
        let cycles = CqrsFramework::new(CachedEventStore::new(repo.clone()), vec![], ());
        Self(Arc::new(Shared {
            db,
            repo,
            tokens: Arc::new(TokenKeys::new(jwt_secret)),
            standings: Arc::default(),
            throttle: crate::throttle::Throttle::new(jwt_secret),
            secure_cookies: false,
            retention_ledger: None,
            trusted_proxies: Arc::new(Vec::new()),
            metrics: Arc::new(crate::metrics::Metrics::new(None)),
            mailer: None,
            public_url: Arc::from(format!("http://{}", crate::config::DEFAULT_BIND)),
            helpdesk: Arc::default(),
            applications: Arc::new(applications),
            immigration: Arc::new(immigration),
            recipients: Arc::new(recipients),
            requests: Arc::new(requests),
            cycles: Arc::new(cycles),
        }))
    }

    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let db = crate::store::connect(&config.database_url).await?;
        crate::store::migrate(&db).await?;
        let mut state = Self::new(
            db,
            config.master_key(),
            config.jwt_secret.expose().as_bytes(),
        );
        let settings = state.settings_mut();
        settings.secure_cookies = config.secure_cookies;
        settings.retention_ledger = config.retention_ledger.as_deref().map(Arc::from);
        settings.trusted_proxies = Arc::new(config.trusted_proxies.clone());
        settings.metrics = Arc::new(crate::metrics::Metrics::new(config.metrics_token.clone()));
        settings.throttle.registrations_per_address = config.registrations_per_address;
        settings.public_url = Arc::from(config.public_url.as_str());
        settings.helpdesk = Arc::new(config.helpdesk.clone());
        crate::auth::set_password_queue(config.password_queue);
        if let Some(mail) = &config.mail {
            settings.mailer = Some(Arc::new(crate::mail::Mailer::new(mail)?));
        }
        Ok(state)
    }

    // `execute_application`, a command and the letter it owes, is in `letters.rs`: the letters are a service
    // over this bus, which knows nothing of them.

    /// Carries out a command on an application, and nothing after it.
    pub(crate) async fn record_application(
        &self,
        id: &str,
        by: &Actor,
        command: ApplicationCommand,
    ) -> Result<(), AppError> {
        execute(&self.metrics, &self.applications, id, by, command).await
    }

    pub async fn execute_recipient(
        &self,
        id: &str,
        by: &Actor,
        command: RecipientCommand,
    ) -> Result<(), AppError> {
        execute(&self.metrics, &self.recipients, id, by, command).await
    }

    pub async fn execute_request(
        &self,
        id: &str,
        by: &Actor,
        command: RequestCommand,
    ) -> Result<(), AppError> {
        execute(&self.metrics, &self.requests, id, by, command).await
    }

    /// Sets a cycle's terms, or concludes it; the stream is the cycle's name.
    pub async fn execute_cycle(&self, by: &Actor, command: CycleCommand) -> Result<(), AppError> {
        let (CycleCommand::SetTerms { cycle, .. } | CycleCommand::Conclude { cycle, .. }) =
            &command;
        let id = cycle.to_string();
        execute(&self.metrics, &self.cycles, &id, by, command).await
    }

    pub async fn execute_immigration(
        &self,
        id: &str,
        by: &Actor,
        command: ImmigrationCommand,
    ) -> Result<(), AppError> {
        execute(&self.metrics, &self.immigration, id, by, command).await
    }
}

async fn execute<A, C>(
    metrics: &crate::metrics::Metrics,
    framework: &Framework<A>,
    id: &str,
    by: &Actor,
    command: C,
) -> Result<(), AppError>
where
    A: Aggregate<Command = Authored<C>> + Clone,
    A::Error: Into<AppError>,
    C: Clone,
{
    let mut attempt = 1;
    // First decided on the aggregate this process kept, if it kept one, without reading the stream; a
    // decision the append could not check is taken again with the read (`store::cached` says why).
    let mut on_trust = true;
    loop {
        let at = Utc::now();
        let metadata = EventMetadata::new(by, at).to_map();
        let authored = Authored::new(by.clone(), at, command.clone());
        // On the heap: the command's future is large, and moved into the scope that watches it.
        let (result, trust) = crate::store::cached::deciding(
            on_trust,
            Box::pin(framework.execute_with_metadata(id, authored, metadata)),
        )
        .await;
        if trust.unchecked() && !matches!(result, Err(AggregateError::AggregateConflict)) {
            on_trust = false;
            continue;
        }
        match result {
            Err(AggregateError::AggregateConflict) if attempt < ATTEMPTS => {
                metrics.conflict(A::TYPE);
                attempt += 1;
            }
            result => {
                let outcome = match &result {
                    Ok(()) => CommandOutcome::Accepted,
                    Err(AggregateError::AggregateConflict) => {
                        metrics.conflict(A::TYPE);
                        CommandOutcome::Conflict
                    }
                    Err(_) => CommandOutcome::Refused,
                };
                let result = result.map_err(AppError::from);
                let outcome = match &result {
                    Err(error) if error.is_failure() => CommandOutcome::Failed,
                    _ => outcome,
                };
                metrics.command(A::TYPE, outcome);
                return result;
            }
        }
    }
}
