//! Finding PostgreSQL for the tests: `DATABASE_URL` if set, else a server on 127.0.0.1:5432,
//! else a throwaway cluster started from the PostgreSQL binaries (on PATH or under
//! /usr/lib/postgresql/*/bin), stopped and deleted afterwards. With none of these: an error that
//! says how to install PostgreSQL. Data tests never skip.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

const LOCAL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A PostgreSQL server the tests may create databases on; stops a throwaway cluster on drop.
pub struct Postgres {
    /// The maintenance database URL.
    pub url: String,
    /// Where it came from, for the log line.
    pub origin: String,
    throwaway: Option<Throwaway>,
}

struct Throwaway {
    bin: PathBuf,
    dir: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    /// Runs `work` with the scratch databases `names` created on this server, and drops them
    /// afterwards whatever `work` returned (benchmarks measure on databases of their own).
    pub async fn with_scratch_databases<T>(
        &self,
        names: &[&str],
        work: impl AsyncFnOnce() -> Result<T>,
    ) -> Result<T> {
        let mut admin = AsyncPgConnection::establish(&self.url)
            .await
            .map_err(|e| anyhow!("connecting to {}: {e}", self.origin))?;
        for db in names {
            admin
                .batch_execute(&format!("CREATE DATABASE \"{db}\""))
                .await?;
        }
        let outcome = work().await;
        for db in names {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                .await?;
        }
        outcome
    }

    /// Finds a server as the module docs say; `force_throwaway` skips the first two choices.
    pub fn find(force_throwaway: bool) -> Result<Postgres> {
        if !force_throwaway {
            if let Ok(url) = std::env::var("DATABASE_URL").map(|u| u.trim().to_string())
                && !url.is_empty()
            {
                return Ok(Postgres {
                    url,
                    origin: "DATABASE_URL".into(),
                    throwaway: None,
                });
            }
            let local: SocketAddr = "127.0.0.1:5432".parse()?;
            if TcpStream::connect_timeout(&local, Duration::from_secs(1)).is_ok() {
                return Ok(Postgres {
                    url: LOCAL.into(),
                    origin: "the server at 127.0.0.1:5432".into(),
                    throwaway: None,
                });
            }
        }
        let Some(bin) = find_binaries() else {
            bail!(
                "no PostgreSQL for the tests: DATABASE_URL is not set, nothing listens on \
                 127.0.0.1:5432, and no initdb/pg_ctl is on PATH or under /usr/lib/postgresql/*/bin.\n\
                 Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; macOS: \
                 `brew install postgresql`) or set DATABASE_URL to a server where you may CREATE DATABASE."
            )
        };
        Throwaway::start(bin)
    }
}

fn find_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .collect();
    // The newest version first.
    versioned.sort();
    versioned.reverse();
    on_path
        .chain(versioned)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Throwaway {
    fn start(bin: PathBuf) -> Result<Postgres> {
        let dir = std::env::temp_dir().join(format!("kiebot-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).context("creating the throwaway cluster's directory")?;
        // initdb refuses to run as root: run the cluster as the postgres user then.
        let as_postgres = is_root();
        if as_postgres {
            run(
                Command::new("chown").args(["postgres:postgres"]).arg(&dir),
                "chown",
            )?;
        }
        let cluster = Throwaway {
            bin,
            dir,
            as_postgres,
        };
        let data = cluster.dir.join("data");
        cluster.pg("initdb", |c| {
            c.arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]);
        })?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            cluster.dir.display()
        );
        cluster.pg("pg_ctl", |c| {
            c.arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(cluster.dir.join("log"))
                .args(["-w", "-o", &options, "start"]);
        })?;
        Ok(Postgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            origin: format!("a throwaway cluster from {}", cluster.bin.display()),
            throwaway: Some(cluster),
        })
    }

    fn pg(&self, tool: &str, args: impl FnOnce(&mut Command)) -> Result<()> {
        let path = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        args(&mut cmd);
        run(&mut cmd, tool)
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(t) = &self.throwaway {
            let data = t.dir.join("data");
            if let Err(e) = t.pg("pg_ctl", |c| {
                c.arg("-D")
                    .arg(&data)
                    .args(["-m", "immediate", "-w", "stop"]);
            }) {
                eprintln!("xtask: stopping the throwaway cluster: {e:#}");
            }
            let _ = std::fs::remove_dir_all(&t.dir);
        }
    }
}

/// Drops per-test databases left by killed test processes. Where /proc is missing every
/// process counts as alive, so nothing is dropped.
pub fn drop_leftovers(url: &str) -> Result<usize> {
    let proc_fs = Path::new("/proc/self").exists();
    let alive = |pid: u32| !proc_fs || Path::new(&format!("/proc/{pid}")).exists();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(test_db::drop_leftover_databases(url, alive))
        .map_err(|e| anyhow::anyhow!(e))
}
