//! TXT lookups for custom-domain verification, through the system's resolver or one DNS server
//! given by address (`CONTROL_PANEL_DNS`). Every lookup builds a fresh resolver without a cache,
//! so a record created a moment ago is seen, and the whole lookup is bounded by
//! [`LOOKUP_TIMEOUT`].

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{ResolverBuilder, TokioResolver};

/// The longest a verification lookup may take, all retries included.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// How long one query waits for its answer before it is tried once more.
const QUERY_TIMEOUT: Duration = Duration::from_millis(1400);

/// Which DNS server answers verification lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Nameserver {
    /// The system's configuration (`/etc/resolv.conf` on Unix).
    #[default]
    System,
    /// This server only (UDP, and TCP for long answers).
    At(SocketAddr),
}

/// What a TXT lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The name's TXT records, each record's strings joined (empty: the name exists, but has
    /// no TXT record).
    Records(Vec<String>),
    /// The name does not exist (NXDOMAIN).
    NoSuchName,
    /// No usable answer: the server did not answer in time, could not be reached, or answered
    /// with an error. Says which.
    NoAnswer(String),
}

/// Looks up the TXT records of `name` (a fully qualified name, without the trailing dot).
pub async fn lookup_txt(nameserver: Nameserver, name: &str) -> TxtAnswer {
    let resolver = match resolver(nameserver) {
        Ok(r) => r,
        Err(e) => return TxtAnswer::NoAnswer(format!("the DNS resolver could not start ({e})")),
    };
    // The trailing dot makes the name absolute, so no search domain is tried.
    let fqdn = format!("{name}.");
    match tokio::time::timeout(LOOKUP_TIMEOUT, resolver.txt_lookup(fqdn)).await {
        Err(_) => TxtAnswer::NoAnswer(format!(
            "the DNS server did not answer within {} s",
            LOOKUP_TIMEOUT.as_secs()
        )),
        Ok(Ok(lookup)) => TxtAnswer::Records(
            lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect(),
        ),
        Ok(Err(e)) => classify(&e),
    }
}

fn classify(e: &NetError) -> TxtAnswer {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(none)) => match none.response_code {
            ResponseCode::NXDomain => TxtAnswer::NoSuchName,
            _ => TxtAnswer::Records(Vec::new()),
        },
        NetError::Dns(DnsError::ResponseCode(code)) => {
            TxtAnswer::NoAnswer(format!("the DNS server answered {code}"))
        }
        NetError::Timeout => TxtAnswer::NoAnswer(format!(
            "the DNS server did not answer within {} s",
            LOOKUP_TIMEOUT.as_secs()
        )),
        other => TxtAnswer::NoAnswer(format!("the DNS server could not be asked ({other})")),
    }
}

fn resolver(nameserver: Nameserver) -> Result<TokioResolver, NetError> {
    let mut builder: ResolverBuilder<TokioRuntimeProvider> = match nameserver {
        Nameserver::System => TokioResolver::builder_tokio()?,
        Nameserver::At(addr) => {
            let mut server = NameServerConfig::udp_and_tcp(addr.ip());
            for connection in &mut server.connections {
                connection.port = addr.port();
            }
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
    };
    let options: &mut ResolverOpts = builder.options_mut();
    options.timeout = QUERY_TIMEOUT;
    options.attempts = 1;
    options.cache_size = 0;
    options.use_hosts_file = ResolveHosts::Never;
    builder.build()
}
