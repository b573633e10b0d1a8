//! The rig for process-level tests: the real `bot` binary, started as a child process against
//! the fake Telegram and the Kie simulator (both in the test process, over HTTP on 127.0.0.1)
//! and a PostgreSQL database of the test's own. Signals are real (`kill -KILL/-TERM/-STOP`).
//!
//! Waits wake on the fake's state changes or poll the database; no sleep fixes a race.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kie_sim::{KieSim, SimConfig};
use test_db::TestDatabase;
use tg_fake::FakeTelegram;

/// The token the fake accepts.
pub const TOKEN: &str = "123456:process-test-token";
/// The key the simulator accepts.
pub const KIE_KEY: &str = "process-test-kie-key";
/// The lease every instance competes for.
pub const LEASE: &str = "telegram-poller:123456";

/// The fakes and a database, shared by the instances of one test.
pub struct World {
    /// Fake Telegram.
    pub tg: FakeTelegram,
    /// Kie simulator.
    pub sim: KieSim,
    /// The test's database.
    pub db: TestDatabase,
}

impl World {
    /// Starts the fakes and makes a database.
    pub async fn new() -> World {
        let tg = FakeTelegram::start(TOKEN).await;
        let sim = KieSim::start(SimConfig {
            api_key: KIE_KEY.into(),
            time_scale: 5.0,
            credits: 1_000_000.0,
            ..SimConfig::default()
        })
        .await
        .expect("the Kie simulator starts");
        World {
            tg,
            sim,
            db: TestDatabase::new().await,
        }
    }

    /// The environment every instance gets; `extra` overrides or adds.
    pub fn command(&self, name: &str, extra: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bot"));
        let registry = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../registry");
        cmd.arg("run")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BOT_TOKEN", TOKEN)
            .env("KIE_API_KEY", KIE_KEY)
            .env("DATABASE_URL", self.db.url())
            .env("TELEGRAM_API_URL", self.tg.api_url().as_str())
            .env("KIE_API_BASE", self.sim.base_url().as_str())
            .env("KIE_UPLOAD_BASE", self.sim.base_url().as_str())
            .env("REGISTRY_DIR", registry)
            .env("LISTEN", "127.0.0.1:0")
            .env("INSTANCE_ID", name)
            .env("LOG_LEVEL", "info,bot=debug")
            .env("STOP_DEADLINE_SECS", "5")
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in extra {
            cmd.env(key, value);
        }
        cmd
    }

    /// Starts an instance named `name` and waits until its HTTP server runs.
    pub async fn spawn(&self, name: &str, extra: &[(&str, &str)]) -> Instance {
        Instance::start(name, self.command(name, extra)).await
    }

    /// Who holds the poller lease now (and its epoch), if anyone's lease runs.
    pub async fn holder(&self) -> Option<(String, i64)> {
        let mut conn = self.db.connect().await;
        lock::holder_of(&mut conn, LEASE)
            .await
            .expect("reading the lease")
            .filter(|row| row.expires_in_ms > 0)
            .map(|row| (row.holder, row.epoch))
    }

    /// Waits (polling the database) until `pred` holds of the lease holder.
    pub async fn wait_holder(
        &self,
        patience: Duration,
        pred: impl Fn(&Option<(String, i64)>) -> bool,
    ) -> Option<(String, i64)> {
        let until = Instant::now() + patience;
        loop {
            let holder = self.holder().await;
            if pred(&holder) {
                return holder;
            }
            assert!(
                Instant::now() < until,
                "the lease never reached the expected state; last {holder:?}\n{}",
                self.tg.dump()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A running `bot` process; killed when dropped.
pub struct Instance {
    /// Its name (INSTANCE_ID).
    pub name: String,
    /// Where its HTTP server listens.
    pub http: SocketAddr,
    child: Option<Child>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Instance {
    /// Spawns `cmd` and waits for the "the bot is running" line.
    pub async fn start(name: &str, mut cmd: Command) -> Instance {
        let mut child = cmd.spawn().expect("spawning the bot binary");
        let stderr = child.stderr.take().expect("piped stderr");
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("the bot is running")
                        && let Some(addr) = http_addr(&line)
                    {
                        let _ = addr_tx.send(addr);
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let http =
            tokio::task::spawn_blocking(move || addr_rx.recv_timeout(Duration::from_secs(60)))
                .await
                .unwrap();
        let http = match http {
            Ok(addr) => addr,
            Err(_) => panic!(
                "{name} did not start; its log:\n{}",
                log.lock().unwrap().join("\n")
            ),
        };
        Instance {
            name: name.to_string(),
            http,
            child: Some(child),
            log,
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    /// Sends a signal by name (`KILL`, `TERM`, `STOP`, `CONT`, `INT`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name} {}", self.pid());
    }

    /// Waits for the process to exit (at most `patience`); its status and how long it took.
    pub async fn wait_exit(&mut self, patience: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        let mut child = self.child.take().expect("still running");
        let status = tokio::task::spawn_blocking(move || {
            let until = Instant::now() + patience;
            loop {
                if let Some(status) = child.try_wait().expect("try_wait") {
                    return Some(status);
                }
                if Instant::now() >= until {
                    let _ = child.kill();
                    let _ = child.wait();
                    return None;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
        .await
        .unwrap();
        match status {
            Some(status) => (status, started.elapsed()),
            None => panic!(
                "{} did not exit within {patience:?}; its log:\n{}",
                self.name,
                self.log()
            ),
        }
    }

    /// SIGKILL and reap.
    pub async fn kill(&mut self) {
        self.signal("KILL");
        self.wait_exit(Duration::from_secs(10)).await;
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Log lines at ERROR.
    pub fn errors(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(" ERROR "))
            .cloned()
            .collect()
    }

    /// GET a path on its HTTP server: the body.
    pub async fn get_text(&self, path: &str) -> String {
        reqwest::get(format!("http://{}{path}", self.http))
            .await
            .expect("the HTTP server answers")
            .text()
            .await
            .unwrap_or_default()
    }

    /// GET a path on its HTTP server: the status.
    pub async fn get(&self, path: &str) -> u16 {
        reqwest::get(format!("http://{}{path}", self.http))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every stored update ends up handled (the "done" of the last ones travels with the
/// workers' next claim, so this waits for it).
pub async fn wait_all_handled(world: &World) {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        unfinished: i64,
    }
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let mut conn = world.db.connect().await;
        let row: Row = diesel::sql_query(
            "SELECT count(*) FILTER (WHERE state <> 'done') AS unfinished FROM inbox_updates",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        if row.unfinished == 0 {
            return;
        }
        assert!(
            Instant::now() < until,
            "{} stored updates never handled",
            row.unfinished
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `http_addr` of the start-up line, in text (`http_addr=…`) or JSON logs.
fn http_addr(line: &str) -> Option<SocketAddr> {
    let text = line
        .split("http_addr=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next());
    let json = serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v["fields"]["http_addr"].as_str().map(str::to_owned));
    text.map(str::to_owned).or(json)?.parse().ok()
}

/// How many bot messages chat `chat` has received.
pub fn answers(tg: &FakeTelegram, chat: i64) -> usize {
    tg.bot_messages(chat).len()
}

/// Waits until chat `chat` has at least `n` bot messages; how long it took.
pub async fn wait_answers(tg: &FakeTelegram, chat: i64, n: usize, patience: Duration) -> Duration {
    let started = Instant::now();
    tg.wait_for(patience, |fake| (answers(fake, chat) >= n).then_some(()))
        .await
        .unwrap_or_else(|e| panic!("chat {chat}: {n} answers expected: {e}"));
    started.elapsed()
}

/// p50 and max of durations.
pub fn p50_max(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let p50 = samples.get(samples.len() / 2).copied().unwrap_or_default();
    (p50, samples.last().copied().unwrap_or_default())
}

/// A TCP proxy in front of PostgreSQL that a test can take down (every connection cut, new
/// ones refused) and bring back: "the database is down" without touching the server.
pub struct PgProxy {
    /// The proxy's address.
    pub addr: SocketAddr,
    down: Arc<std::sync::atomic::AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl PgProxy {
    /// Proxies to the server of `url`.
    pub async fn start(url: &str) -> PgProxy {
        let upstream = url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .map(|auth| auth.rsplit('@').next().unwrap_or(auth).to_string())
            .expect("a postgres URL with a host");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (flag, cuts) = (down.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let upstream = upstream.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        PgProxy { addr, down, cut }
    }

    /// `url` pointed at the proxy.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (auth, path) = rest.split_once('/').unwrap();
        let user = auth
            .rsplit_once('@')
            .map(|(u, _)| format!("{u}@"))
            .unwrap_or_default();
        format!("{scheme}://{user}{}/{path}", self.addr)
    }

    /// Cuts every connection and refuses new ones (`true`), or accepts again (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
        if down {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}
