//! HTTPS URLs, e.g. a logo or favicon location.

use std::fmt;

use serde::{Deserialize, Serialize};

pub const URL_MAX_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpsUrlError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {URL_MAX_LEN} characters, this one has {0}")]
    TooLong(usize),
    #[error("is not a valid URL ({0})")]
    Invalid(String),
    #[error("must use https://, not {0}://")]
    NotHttps(String),
    #[error("must name a host")]
    NoHost,
    #[error("must not contain a user name or password")]
    Credentials,
    #[error("must name a host by a DNS name or an IP address ({0})")]
    BadHost(String),
}

/// An absolute `https://` URL with a host and no embedded credentials, at most 2,048 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HttpsUrl(url::Url);

impl HttpsUrl {
    pub fn parse(input: &str) -> Result<Self, HttpsUrlError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(HttpsUrlError::Empty);
        }
        if text.len() > URL_MAX_LEN {
            return Err(HttpsUrlError::TooLong(text.len()));
        }
        let url = url::Url::parse(text).map_err(|e| HttpsUrlError::Invalid(e.to_string()))?;
        if url.scheme() != "https" {
            return Err(HttpsUrlError::NotHttps(url.scheme().to_owned()));
        }
        // The host by its grammar: an IP address, or a DNS name of letters, digits and hyphens
        // (the URL standard lets "evil.example;sandbox" through as a host, and a host ends up
        // in headers such as a Content-Security-Policy).
        match url.host() {
            None => return Err(HttpsUrlError::NoHost),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => {}
            Some(url::Host::Domain(name)) => {
                if name.is_empty() {
                    return Err(HttpsUrlError::NoHost);
                }
                crate::DomainName::parse(name)
                    .ok()
                    .filter(|d| d.as_str() == name)
                    .ok_or_else(|| HttpsUrlError::BadHost(name.to_owned()))?;
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(HttpsUrlError::Credentials);
        }
        Ok(Self(url))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    #[must_use]
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The URL's origin, `https://host` or `https://host:port` (the form a
    /// Content-Security-Policy source takes), built from the parsed host and port: the host is
    /// a checked DNS name or an IP address, so nothing but those reaches a header.
    #[must_use]
    pub fn origin(&self) -> String {
        let host = match self.0.host() {
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Domain(name)) => name.to_owned(),
            None => String::new(),
        };
        match self.0.port() {
            Some(port) => format!("https://{host}:{port}"),
            None => format!("https://{host}"),
        }
    }
}

impl TryFrom<String> for HttpsUrl {
    type Error = HttpsUrlError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<HttpsUrl> for String {
    fn from(u: HttpsUrl) -> String {
        u.0.into()
    }
}

impl fmt::Display for HttpsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts() {
        let u = HttpsUrl::parse(" https://cdn.example.com/logo.png?v=2 ").unwrap();
        assert_eq!(u.as_str(), "https://cdn.example.com/logo.png?v=2");
        assert_eq!(u.host(), "cdn.example.com");
        assert_eq!(u.origin(), "https://cdn.example.com");
        assert_eq!(
            HttpsUrl::parse("https://CDN.example.com:8443/a/b?c")
                .unwrap()
                .origin(),
            "https://cdn.example.com:8443"
        );
        // The host is normalised by the URL parser (IDNA, case).
        assert_eq!(
            HttpsUrl::parse("https://Bücher.Example/x")
                .unwrap()
                .as_str(),
            "https://xn--bcher-kva.example/x"
        );
    }

    #[test]
    fn a_host_is_a_host_by_its_grammar() {
        for bad in [
            "https://evil.example;sandbox/x.png",
            "https://evil.example;script-src/x.png",
            "https://a,b.example/x.png",
            "https://a'b.example/x.png",
            "https://a%20b.example/x.png",
            "https://-x.example/",
        ] {
            assert!(
                matches!(
                    HttpsUrl::parse(bad),
                    Err(HttpsUrlError::BadHost(_) | HttpsUrlError::Invalid(_))
                ),
                "{bad}: {:?}",
                HttpsUrl::parse(bad)
            );
        }
        for ok in [
            "https://192.0.2.1/x.png",
            "https://[2001:db8::1]:8443/x.png",
        ] {
            let url = HttpsUrl::parse(ok).unwrap();
            assert!(url.origin().starts_with("https://"), "{}", url.origin());
        }
        assert_eq!(
            HttpsUrl::parse("https://[2001:db8::1]:8443/x.png")
                .unwrap()
                .origin(),
            "https://[2001:db8::1]:8443"
        );
    }

    #[test]
    fn rejects() {
        assert_eq!(HttpsUrl::parse(""), Err(HttpsUrlError::Empty));
        assert_eq!(
            HttpsUrl::parse("http://example.com/logo.png"),
            Err(HttpsUrlError::NotHttps("http".into()))
        );
        assert_eq!(
            HttpsUrl::parse("javascript:alert(1)"),
            Err(HttpsUrlError::NotHttps("javascript".into()))
        );
        assert_eq!(
            HttpsUrl::parse("data:image/png;base64,AAAA"),
            Err(HttpsUrlError::NotHttps("data".into()))
        );
        assert_eq!(
            HttpsUrl::parse("https://user:pw@example.com/"),
            Err(HttpsUrlError::Credentials)
        );
        assert!(matches!(
            HttpsUrl::parse("/logo.png"),
            Err(HttpsUrlError::Invalid(_))
        ));
        assert!(matches!(
            HttpsUrl::parse("https://"),
            Err(HttpsUrlError::Invalid(_))
        ));
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert_eq!(HttpsUrl::parse(&long), Err(HttpsUrlError::TooLong(2068)));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,60}") {
            if let Ok(u) = HttpsUrl::parse(&s) {
                prop_assert!(u.as_str().starts_with("https://"));
            }
        }
    }
}
