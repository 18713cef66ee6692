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
use crate::store::cached::{CachedEventStore, Decided};
use cqrs_es::persist::SerializedEvent;

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
    /// The event stores the frameworks above decide on (sharing their kept aggregates), and the services
    /// an application's commands are decided with: for commands decided together ([`Destruction`]).
    application_store: CachedEventStore<Application>,
    immigration_store: CachedEventStore<ImmigrationRecord>,
    request_store: CachedEventStore<InformationRequest>,
    application_services: ApplicationServices,
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
        let application_store = CachedEventStore::new(repo.clone());
        let immigration_store = CachedEventStore::new(repo.clone());
        let request_store = CachedEventStore::new(repo.clone());
        let applications = CqrsFramework::new(application_store.clone(), vec![], services.clone());
        let immigration = CqrsFramework::new(immigration_store.clone(), vec![], ());
        let recipients = CqrsFramework::new(CachedEventStore::new(repo.clone()), vec![], ());
        let requests = CqrsFramework::new(request_store.clone(), vec![], ());
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
            application_store,
            immigration_store,
            request_store,
            application_services: services,
        }))
    }

    /// Records that `reader` read the personal data of the applications shown (`access_log`), durably,
    /// before they are shown; a read by the applicant is not recorded.
    pub async fn record_reads(
        &self,
        application_ids: &[&str],
        reader: &Actor,
        through: projections::access_log::Through,
    ) -> Result<(), AppError> {
        Ok(self
            .repo
            .record_reads(application_ids, reader, through)
            .await?)
    }

    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        let db = crate::store::connect(&config.database_url).await?;
        crate::store::migrate(&db).await?;
        let mut state = Self::new(
            db,
            config.master_key(),
            config.jwt_secret.expose().as_bytes(),
        );
        // A migration that changed how a view is kept (0026 sealed the applications' views) asks for the
        // views to be rebuilt from the log before anyone reads them.
        if let Some(report) = state.repo.rebuild_projections_if_asked().await? {
            tracing::info!(
                events = report.events,
                streams = report.streams,
                "views rebuilt, as a migration asked"
            );
        }
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

/// A command that destroys a stream's personal data (or destroys it again), as the retention sweep sends
/// it: commands like these are decided together and their events appended in one transaction
/// ([`AppState::decide_destructions`], [`AppState::append_destructions`]). None of them owes a letter.
#[derive(Clone, Debug)]
pub enum Destruction {
    Application(ApplicationCommand),
    Immigration(ImmigrationCommand),
    Request(RequestCommand),
}

/// Destructions decided on their aggregates, their events not yet appended.
pub struct DecidedDestructions {
    /// Each command's answer in the order given, with the type of its stream: `Ok` where its events are
    /// to be appended, its refusal (or the failure to decide it) otherwise.
    answers: Vec<(&'static str, Result<(), AppError>)>,
    events: Vec<SerializedEvent>,
    applications: Vec<Decided<Application>>,
    immigration: Vec<Decided<ImmigrationRecord>>,
    requests: Vec<Decided<InformationRequest>>,
}

impl DecidedDestructions {
    /// The streams whose events are to be appended, as `(aggregate type, aggregate id)`.
    pub fn streams(&self) -> Vec<(String, String)> {
        let mut streams: Vec<(String, String)> = self
            .events
            .iter()
            .map(|event| (event.aggregate_type.clone(), event.aggregate_id.clone()))
            .collect();
        streams.dedup();
        streams
    }
}

/// One destruction decided on its stream's aggregate, whichever kind of stream it is.
enum DecidedOne {
    Application(Box<Decided<Application>>),
    Immigration(Decided<ImmigrationRecord>),
    Request(Decided<InformationRequest>),
}

impl AppState {
    /// Decides each destruction on its stream's aggregate as a command through the bus is decided (loaded
    /// through the same event store and its kept aggregates, handled with the same `Authored` wrapper and
    /// metadata, by `by`), without appending anything. A refusal is that command's own answer and does not
    /// stop the others.
    pub async fn decide_destructions(
        &self,
        by: &Actor,
        batch: Vec<(String, Destruction)>,
    ) -> DecidedDestructions {
        let at = Utc::now();
        let metadata = EventMetadata::new(by, at).to_map();
        let mut decided = DecidedDestructions {
            answers: Vec::with_capacity(batch.len()),
            events: Vec::new(),
            applications: Vec::new(),
            immigration: Vec::new(),
            requests: Vec::new(),
        };
        // Each kind of stream decided together: their streams are read a few statements for them all.
        let mut applications = Vec::new();
        let mut immigration = Vec::new();
        let mut requests = Vec::new();
        let mut order = Vec::with_capacity(batch.len());
        for (id, destruction) in batch {
            match destruction {
                Destruction::Application(command) => {
                    order.push(Application::TYPE);
                    applications.push((id, Authored::new(by.clone(), at, command)));
                }
                Destruction::Immigration(command) => {
                    order.push(ImmigrationRecord::TYPE);
                    immigration.push((id, Authored::new(by.clone(), at, command)));
                }
                Destruction::Request(command) => {
                    order.push(InformationRequest::TYPE);
                    requests.push((id, Authored::new(by.clone(), at, command)));
                }
            }
        }
        let mut applications = self
            .application_store
            .decide_many(applications, &self.application_services, metadata.clone())
            .await
            .into_iter()
            .map(|one| one.map(|one| DecidedOne::Application(Box::new(one))));
        let mut immigration = self
            .immigration_store
            .decide_many(immigration, &(), metadata.clone())
            .await
            .into_iter()
            .map(|one| one.map(DecidedOne::Immigration));
        let mut requests = self
            .request_store
            .decide_many(requests, &(), metadata)
            .await
            .into_iter()
            .map(|one| one.map(DecidedOne::Request));
        let decisions = order.into_iter().filter_map(|aggregate_type| {
            let decision = match aggregate_type {
                Application::TYPE => applications.next()?.map_err(AppError::from),
                ImmigrationRecord::TYPE => immigration.next()?.map_err(AppError::from),
                _ => requests.next()?.map_err(AppError::from),
            };
            Some((aggregate_type, decision))
        });
        // In the order given, as one at a time gave them.
        for (aggregate_type, decision) in decisions {
            let answer = decision.map(|one| match one {
                DecidedOne::Application(one) => {
                    decided.events.extend_from_slice(one.events());
                    decided.applications.push(*one);
                }
                DecidedOne::Immigration(one) => {
                    decided.events.extend_from_slice(one.events());
                    decided.immigration.push(one);
                }
                DecidedOne::Request(one) => {
                    decided.events.extend_from_slice(one.events());
                    decided.requests.push(one);
                }
            });
            decided.answers.push((aggregate_type, answer));
        }
        decided
    }

    /// Appends the events of decided destructions in one transaction, and gives each command's answer in
    /// the order they were given: `Ok` where its events were appended, its refusal otherwise. `Err` where
    /// the append failed (another writer wrote to one of the streams after it was read, or the store
    /// failed): nothing of the batch was kept, and each command must be carried out again on its own.
    /// Each command is counted in the metrics as [`execute`] counts it, once the batch is committed.
    pub async fn append_destructions(
        &self,
        decided: DecidedDestructions,
    ) -> Result<Vec<Result<(), AppError>>, AppError> {
        self.repo
            .append_together(&decided.events)
            .await
            .map_err(AppError::from)?;
        self.application_store.appended(decided.applications);
        self.immigration_store.appended(decided.immigration);
        self.request_store.appended(decided.requests);
        Ok(decided
            .answers
            .into_iter()
            .map(|(aggregate_type, answer)| {
                let outcome = match &answer {
                    Ok(()) => CommandOutcome::Accepted,
                    Err(error) if error.is_failure() => CommandOutcome::Failed,
                    Err(_) => CommandOutcome::Refused,
                };
                self.metrics.command(aggregate_type, outcome);
                answer
            })
            .collect())
    }
}

/// The cycles' terms as the aggregate asks for them, each cycle's conclusion asked of the store once: a
/// conclusion, once recorded, never changes, so a batch of commands on one cycle's applications need not
/// ask for it again for each.
struct ConclusionsAsked {
    cycles: Arc<dyn domain::cycle::CycleTermsSource>,
    concluded: std::sync::Mutex<std::collections::HashMap<String, chrono::NaiveDate>>,
}

#[async_trait::async_trait]
impl domain::cycle::CycleTermsSource for ConclusionsAsked {
    async fn terms_of(
        &self,
        cycle: &domain::cycle::CycleName,
    ) -> Result<Option<domain::cycle::CycleTerms>, String> {
        self.cycles.terms_of(cycle).await
    }

    async fn concluded_on(
        &self,
        cycle: &domain::cycle::CycleName,
    ) -> Result<Option<chrono::NaiveDate>, String> {
        let asked = self
            .concluded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(cycle.as_str())
            .copied();
        if let Some(on) = asked {
            return Ok(Some(on));
        }
        let on = self.cycles.concluded_on(cycle).await?;
        if let Some(on) = on {
            self.concluded
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(cycle.to_string(), on);
        }
        Ok(on)
    }
}

/// Commands on many applications decided together and their events appended in one transaction (a cycle's
/// conclusion, each application's command followed by its letter): [`AppState::decide_applications`],
/// [`AppState::decide_application_then`], [`AppState::append_applications`].
pub struct ApplicationBatch {
    by: Actor,
    services: ApplicationServices,
}

impl AppState {
    /// Decides each command on its application's aggregate as a command through the bus is decided (the
    /// streams read together, the command handled with the same `Authored` wrapper and metadata, by `by`),
    /// without appending anything; each answer in the order given. The batch goes on to
    /// [`Self::decide_application_then`] and [`Self::append_applications`].
    pub async fn decide_applications(
        &self,
        by: &Actor,
        commands: Vec<(String, ApplicationCommand)>,
    ) -> (
        ApplicationBatch,
        Vec<Result<Decided<Application>, AppError>>,
    ) {
        let batch = ApplicationBatch {
            by: by.clone(),
            services: ApplicationServices {
                staff: Arc::clone(&self.application_services.staff),
                cycles: Arc::new(ConclusionsAsked {
                    cycles: Arc::clone(&self.application_services.cycles),
                    concluded: Default::default(),
                }),
            },
        };
        let at = Utc::now();
        let metadata = EventMetadata::new(by, at).to_map();
        let commands = commands
            .into_iter()
            .map(|(id, command)| (id, Authored::new(by.clone(), at, command)))
            .collect();
        let decided = self
            .application_store
            .decide_many(commands, &batch.services, metadata)
            .await
            .into_iter()
            .map(|one| one.map_err(AppError::from))
            .collect();
        (batch, decided)
    }

    /// Decides a further command on a decided application as its events leave it; a refusal leaves the
    /// decision as it was.
    pub async fn decide_application_then(
        &self,
        batch: &ApplicationBatch,
        decided: &mut Decided<Application>,
        command: ApplicationCommand,
    ) -> Result<(), AppError> {
        let at = Utc::now();
        let metadata = EventMetadata::new(&batch.by, at).to_map();
        CachedEventStore::decide_then(
            decided,
            Authored::new(batch.by.clone(), at, command),
            &batch.services,
            metadata,
        )
        .await
        .map_err(AppError::from)
    }

    /// Appends the events of decided applications in one transaction. `Err` where the append failed
    /// (another writer wrote to one of the streams after it was read, or the store failed): nothing of the
    /// batch was kept, and each command must be carried out again on its own. Once committed, each of the
    /// `commands` the events carry out is counted in the metrics as [`execute`] counts it.
    pub async fn append_applications(
        &self,
        decided: Vec<Decided<Application>>,
        commands: usize,
    ) -> Result<(), AppError> {
        let events: Vec<SerializedEvent> = decided
            .iter()
            .flat_map(|one| one.events().iter().cloned())
            .collect();
        self.repo
            .append_together(&events)
            .await
            .map_err(AppError::from)?;
        self.application_store.appended(decided);
        for _ in 0..commands {
            self.metrics
                .command(Application::TYPE, CommandOutcome::Accepted);
        }
        Ok(())
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
