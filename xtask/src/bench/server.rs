//! The server section: wrk (Debian's package) at 64 connections against the Control Panel on
//! loopback, on the database the sync section seeded (1,000 clients): a tenant-scoped list
//! (`GET /servers`, 50 rows), quota-checked creates spread over 64 clients, and creates racing
//! for the last places of one client's quota (no over-admission). `pgbench -S` on the same
//! database is the ceiling. Every load is bounded in requests (a Lua counter stops each wrk
//! thread) and in time (`-d`).

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::stats::{ratio, thousands, verdict, Runs, Unit};
use super::{drive, wrap, Env, PASSWORD};
use crate::proc::{self, cmd};

const EMAIL: &str = "load@load-msp.example";

/// How hard and how long.
#[derive(Debug, Clone, Copy)]
struct Load {
    connections: u32,
    /// How long one run of the list or the creates lasts, seconds (`wrk -d`).
    seconds: u32,
    /// Safety bounds on the requests of one run (a run that reaches one is an error: the
    /// figure would be cut short).
    list_cap: u64,
    create_cap: u64,
    /// The quota the over-admission check races for, the requests sent at it, and the
    /// longest that race may last, seconds.
    quota: u64,
    quota_requests: u64,
    race_seconds: u32,
}

impl Load {
    fn for_env(env: &Env) -> Self {
        if env.opts.smoke {
            Self {
                connections: 4,
                seconds: 1,
                list_cap: 20_000,
                create_cap: 5_000,
                quota: 5,
                quota_requests: 40,
                race_seconds: 2,
            }
        } else {
            Self {
                connections: 64,
                seconds: 8,
                list_cap: 400_000,
                create_cap: 100_000,
                quota: 100,
                quota_requests: 2_000,
                race_seconds: 5,
            }
        }
    }
}

/// What one wrk run counted (the Lua `done` prints it as JSON).
#[derive(Debug, Clone, Copy)]
struct WrkRun {
    requests: f64,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    ok: u64,
    client_errors: u64,
    server_errors: u64,
    socket_errors: u64,
}

impl WrkRun {
    fn rate(&self) -> f64 {
        self.requests / self.seconds
    }
}

pub fn measure(env: &Env, machine: &str) -> Result<String> {
    if !proc::have("wrk") {
        bail!("wrk is missing: run `cargo xtask setup`");
    }
    let load = Load::for_env(env);
    let work = env.scratch("server")?;
    let cp = &env.control_panel;
    cp.create_admin(EMAIL, PASSWORD, "Load MSP")?;
    let seeded = drive(
        cmd(
            &env.bins.bench_setup.to_string_lossy(),
            &[
                "load",
                &cp.url(),
                EMAIL,
                &load.connections.to_string(),
                "50",
                &load.quota.to_string(),
            ],
        ),
        PASSWORD,
    )?;
    let text = |key: &str| -> Result<String> {
        Ok(seeded[key]
            .as_str()
            .with_context(|| format!("{key} missing"))?
            .to_owned())
    };
    let create_tokens: Vec<String> = seeded["create_tokens"]
        .as_array()
        .context("create_tokens missing")?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    let base = cp.url();
    let runs = env.opts.runs;

    let list_script = work.join("list.lua");
    std::fs::write(
        &list_script,
        script(&[text("list_token")?], None, limit(load.list_cap, 2)),
    )?;
    let url = format!("{base}/api/v1/servers");
    let list = (0..runs)
        .map(|_| {
            wrk(
                &list_script,
                &url,
                load.connections,
                load.seconds,
                load.list_cap,
            )
        })
        .collect::<Result<Vec<_>>>()?;

    let create_script = work.join("create.lua");
    std::fs::write(
        &create_script,
        script(&create_tokens, Some("load"), limit(load.create_cap, 2)),
    )?;
    let creates = (0..runs)
        .map(|_| {
            wrk(
                &create_script,
                &url,
                load.connections,
                load.seconds,
                load.create_cap,
            )
        })
        .collect::<Result<Vec<_>>>()?;

    let quota_script = work.join("quota.lua");
    std::fs::write(
        &quota_script,
        script(
            &[text("quota_token")?],
            Some("race"),
            limit(load.quota_requests, 2),
        ),
    )?;
    // Here the count is the point: every thread stops at its share, whatever the time.
    let race = wrk(
        &quota_script,
        &url,
        load.connections,
        load.race_seconds,
        u64::MAX,
    )?;
    let quota_client = text("quota_client")?;
    let admitted: u64 = env
        .cluster
        .psql_control_panel(&format!(
            "SELECT count(*) FROM servers WHERE tenant_id = '{quota_client}' AND deleted_at IS NULL"
        ))?
        .parse()
        .context("counting the quota client's servers")?;

    let pgbench = pgbench(env, load)?;
    let figures = Figures {
        connections: load.connections,
        list: summarise(&list)?,
        creates: summarise(&creates)?,
        race,
        admitted,
        quota: load.quota,
        quota_requests: load.quota_requests,
        pgbench,
        seconds: load.seconds,
    };
    Ok(render(&figures, runs, machine))
}

/// Requests per wrk thread for `total` over `threads`.
fn limit(total: u64, threads: u64) -> u64 {
    total.div_ceil(threads)
}

/// The Lua script of one load: each thread stops after `per_thread` responses; with `create`
/// it posts a new server (names `<create>-<thread>-<n>`), rotating over `tokens`, otherwise
/// it GETs with the first token. `done` prints the run's figures as one line of JSON.
fn script(tokens: &[String], create: Option<&str>, per_thread: u64) -> String {
    let tokens: Vec<String> = tokens.iter().map(|t| format!("\"{t}\"")).collect();
    let request = match create {
        Some(prefix) => format!(
            "request = function()\n\
             \x20 n = n + 1\n\
             \x20 local token = tokens[(n % #tokens) + 1]\n\
             \x20 local body = string.format('{{\"name\":\"{prefix}-%d-%d\",\"provider\":\"hetzner\",\"server_type\":\"cx22\",\"storage_gb\":10}}', id, n)\n\
             \x20 return wrk.format(\"POST\", nil, {{[\"Authorization\"] = \"Bearer \" .. token, [\"Content-Type\"] = \"application/json\"}}, body)\n\
             end\n"
        ),
        None => "wrk.headers[\"Authorization\"] = \"Bearer \" .. tokens[1]\n".to_owned(),
    };
    format!(
        "-- Written by cargo xtask bench.\n\
         tokens = {{{tokens}}}\n\
         limit = {per_thread}\n\
         n, seen, ok, e4, e5 = 0, 0, 0, 0, 0\n\
         id = 0\n\
         local threads = {{}}\n\
         local next_id = 0\n\
         function setup(thread)\n\
         \x20 next_id = next_id + 1\n\
         \x20 thread:set(\"id\", next_id)\n\
         \x20 table.insert(threads, thread)\n\
         end\n\
         {request}\
         function response(status, headers, body)\n\
         \x20 seen = seen + 1\n\
         \x20 if status >= 500 then e5 = e5 + 1 elseif status >= 400 then e4 = e4 + 1 elseif status >= 200 and status < 300 then ok = ok + 1 end\n\
         \x20 if seen >= limit then wrk.thread:stop() end\n\
         end\n\
         function done(summary, latency, requests)\n\
         \x20 local a, b, c = 0, 0, 0\n\
         \x20 for _, t in ipairs(threads) do a = a + t:get(\"ok\"); b = b + t:get(\"e4\"); c = c + t:get(\"e5\") end\n\
         \x20 local e = summary.errors\n\
         \x20 io.write(string.format('{{\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"ok\":%d,\"e4\":%d,\"e5\":%d,\"socket_errors\":%d}}\\n',\n\
         \x20   summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), a, b, c,\n\
         \x20   e.connect + e.read + e.write + e.timeout))\n\
         end\n",
        tokens = tokens.join(", "),
    )
}

/// One wrk run: two threads, `connections`, `seconds` long; an error when it reached `cap`
/// requests (its threads stopped early, so its rate would be wrong).
fn wrk(script: &Path, url: &str, connections: u32, seconds: u32, cap: u64) -> Result<WrkRun> {
    let out = proc::output(&mut cmd(
        "wrk",
        &[
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--timeout",
            "10s",
            "-s",
            &script.to_string_lossy(),
            url,
        ],
    ))
    .context("wrk failed")?;
    let json = out
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("wrk printed no figures:\n{out}"))?;
    let v: serde_json::Value = serde_json::from_str(json)?;
    let n = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let run = WrkRun {
        requests: n("requests"),
        seconds: n("duration_us") / 1e6,
        p50_ms: n("p50_us") / 1e3,
        p99_ms: n("p99_us") / 1e3,
        ok: v["ok"].as_u64().unwrap_or(0),
        client_errors: v["e4"].as_u64().unwrap_or(0),
        server_errors: v["e5"].as_u64().unwrap_or(0),
        socket_errors: v["socket_errors"].as_u64().unwrap_or(0),
    };
    if run.requests >= cap as f64 {
        bail!("wrk reached its cap of {cap} requests: raise it, the rate would be wrong");
    }
    eprintln!(
        "wrk: {:.0} requests in {:.2} s ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms, {} ok, {} 4xx, {} 5xx, {} socket errors",
        run.requests,
        run.seconds,
        run.rate(),
        run.p50_ms,
        run.p99_ms,
        run.ok,
        run.client_errors,
        run.server_errors,
        run.socket_errors
    );
    Ok(run)
}

/// The runs of one load, as figures.
#[derive(Debug)]
struct Summary {
    rate: Runs,
    p50: Runs,
    p99: Runs,
    ok: u64,
    client_errors: u64,
    server_errors: u64,
    socket_errors: u64,
}

fn summarise(runs: &[WrkRun]) -> Result<Summary> {
    Ok(Summary {
        rate: Runs::new(runs.iter().map(WrkRun::rate).collect())?,
        p50: Runs::new(runs.iter().map(|r| r.p50_ms).collect())?,
        p99: Runs::new(runs.iter().map(|r| r.p99_ms).collect())?,
        ok: runs.iter().map(|r| r.ok).sum(),
        client_errors: runs.iter().map(|r| r.client_errors).sum(),
        server_errors: runs.iter().map(|r| r.server_errors).sum(),
        socket_errors: runs.iter().map(|r| r.socket_errors).sum(),
    })
}

/// `pgbench -S` (select-only) on the Control Panel's database at the same number of
/// connections: transactions per second, one figure per run.
fn pgbench(env: &Env, load: Load) -> Result<Runs> {
    let bin = env.cluster.program("pgbench");
    let url = env.cluster.url();
    let scale = if env.opts.smoke { "1" } else { "10" };
    proc::run(
        cmd(&bin.to_string_lossy(), &["-i", "-q", "-s", scale, &url])
            .stderr(std::process::Stdio::null()),
    )?;
    let seconds = if env.opts.smoke { "1" } else { "10" };
    let mut tps = Vec::new();
    for _ in 0..env.opts.runs {
        let out = proc::output(&mut cmd(
            &bin.to_string_lossy(),
            &[
                "-S",
                "-n",
                "-c",
                &load.connections.to_string(),
                "-j",
                "2",
                "-T",
                seconds,
                &url,
            ],
        ))
        .context("pgbench failed")?;
        tps.push(
            out.lines()
                .find_map(|l| l.strip_prefix("tps = "))
                .and_then(|l| l.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
                .with_context(|| format!("pgbench printed no tps:\n{out}"))?,
        );
    }
    Runs::new(tps)
}

#[derive(Debug)]
struct Figures {
    connections: u32,
    list: Summary,
    creates: Summary,
    race: WrkRun,
    admitted: u64,
    quota: u64,
    quota_requests: u64,
    pgbench: Runs,
    seconds: u32,
}

fn render(f: &Figures, runs: usize, machine: &str) -> String {
    let c = f.connections;
    let share = f.list.rate.median() / f.pgbench.median();
    let mut out = format!(
        "## Control Panel under load: {c} connections on loopback\n\n\
         Command: `cargo xtask bench --only server` (release build; the database of the sync \
         section, 1,000 clients x 20 instances, plus the load's own clients; pool of 20 \
         connections). Load generator: wrk (Debian's package), `wrk -t2 -c{c} -d{secs}s -s SCRIPT` \
         on loopback, {runs} runs each (a Lua counter also caps each run's requests, as a safety \
         bound); the Lua scripts are written to `target/xtask/bench/server/`. Ceiling: \
         `pgbench -S -n -c {c} -j 2 -T 10` on the same database (scale 10). wrk, the server and \
         PostgreSQL share the same 2 cores. Machine: {machine}.\n\n\
         | what | median (min – max) | target | reference | vs reference | met |\n\
         |---|---|---|---|---|---|\n",
        secs = f.seconds,
    );
    out.push_str(&format!(
        "| `GET /servers` (50 rows, one client's token): requests/s | {} | ≥ 30 % of pgbench -S | `pgbench -S`: {} | {} | {} |\n",
        f.list.rate.show(Unit::PerSecond),
        f.pgbench.show(Unit::PerSecond),
        ratio(share),
        verdict(share >= 0.3),
    ));
    out.push_str(&format!(
        "| `GET /servers`: latency p50 / p99 | {} / {} | p99 < 25 ms | | | {} |\n",
        f.list.p50.show(Unit::Millis),
        f.list.p99.show(Unit::Millis),
        verdict(f.list.p99.median() < 25.0),
    ));
    out.push_str(&format!(
        "| `POST /servers` (quota-checked creates over {c} clients): creates/s | {} | ≥ 1,000/s | | | {} |\n",
        f.creates.rate.show(Unit::PerSecond),
        verdict(f.creates.rate.median() >= 1000.0),
    ));
    out.push_str(&format!(
        "| `POST /servers`: latency p50 / p99 | {} / {} | | | | |\n",
        f.creates.p50.show(Unit::Millis),
        f.creates.p99.show(Unit::Millis),
    ));
    let errors = f.list.server_errors + f.creates.server_errors + f.race.server_errors;
    let sockets = f.list.socket_errors + f.creates.socket_errors + f.race.socket_errors;
    out.push_str(&format!(
        "| answers: 2xx / 4xx / 5xx / socket errors (lists and creates, all runs) | {} / {} / {} / {} | no 5xx | | | {} |\n",
        thousands((f.list.ok + f.creates.ok) as f64),
        thousands((f.list.client_errors + f.creates.client_errors) as f64),
        thousands((f.list.server_errors + f.creates.server_errors) as f64),
        thousands((f.list.socket_errors + f.creates.socket_errors) as f64),
        verdict(errors == 0 && sockets == 0),
    ));
    out.push_str(&format!(
        "| {} creates racing on one client whose quota has room for {} ({c} connections): servers it has afterwards | {} ({} created, {} refused, {} 5xx) | exactly {}: no over-admission | | | {} |\n",
        thousands(f.quota_requests as f64),
        f.quota,
        f.admitted,
        f.race.ok,
        f.race.client_errors,
        f.race.server_errors,
        f.quota,
        verdict(f.admitted == f.quota && f.race.server_errors == 0),
    ));
    wrap("server", &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_count_answers_and_stop_at_their_share() {
        let s = script(&["t1".into(), "t2".into()], Some("load"), 3000);
        assert!(s.contains("tokens = {\"t1\", \"t2\"}"), "{s}");
        assert!(s.contains("limit = 3000"), "{s}");
        assert!(s.contains("wrk.thread:stop()"), "{s}");
        assert!(s.contains("wrk.format(\"POST\""), "{s}");
        assert!(s.contains("'{\"name\":\"load-%d-%d\",\"provider\""), "{s}");
        let g = script(&["t1".into()], None, 10);
        assert!(
            g.contains("wrk.headers[\"Authorization\"] = \"Bearer \" .. tokens[1]"),
            "{g}"
        );
        assert!(!g.contains("request = function"), "{g}");
        assert_eq!(limit(1001, 2), 501);
    }
}
