//! `--rpc-cors`: which browser origins may call the RPC server over HTTP.
//!
//! As Substrate: a comma-separated list of origins (`scheme://host[:port]`, or `null`), or
//! `all`; by default the local host and polkadot.js.org, and every origin with `--dev`. A port
//! of `*` matches any port (`http://localhost:*`). Requests from other origins are still
//! answered, without the CORS headers, so browsers refuse to hand the answers to the page;
//! WebSocket connections are not subject to CORS.

use std::{fmt, str::FromStr};

use tower_http::cors::{AllowOrigin, CorsLayer};

/// The origins allowed to make cross-origin requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Any origin (`all`).
    Any,
    /// These origins only.
    List(Vec<Origin>),
}

/// One allowed origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The `null` origin (pages from files, sandboxed frames).
    Null,
    /// `scheme://host`, with the port if given.
    Exact(String),
    /// `scheme://host:*`: that host on any port.
    AnyPort {
        /// `scheme://host`.
        scheme_and_host: String,
    },
}

impl CorsOrigins {
    /// Substrate's default for nodes that are not `--dev`: the local host on any port, over
    /// HTTP or HTTPS, and the polkadot.js apps.
    pub fn substrate_default() -> Self {
        "http://localhost:*,http://127.0.0.1:*,https://localhost:*,https://127.0.0.1:*,https://polkadot.js.org"
            .parse()
            .expect("valid origins")
    }

    /// Whether `origin` (an `Origin` request header) may make cross-origin requests.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            CorsOrigins::Any => true,
            CorsOrigins::List(allowed) => allowed.iter().any(|allowed| allowed.matches(origin)),
        }
    }

    /// The HTTP middleware that answers preflight requests and adds the CORS headers.
    pub fn layer(&self) -> CorsLayer {
        let allow_origin = match self {
            CorsOrigins::Any => AllowOrigin::any(),
            CorsOrigins::List(_) => {
                let origins = self.clone();
                AllowOrigin::predicate(move |origin, _| {
                    origin.to_str().is_ok_and(|origin| origins.allows(origin))
                })
            }
        };
        CorsLayer::new()
            .allow_methods([http::Method::POST])
            .allow_headers([http::header::CONTENT_TYPE])
            .allow_origin(allow_origin)
    }
}

impl Origin {
    fn matches(&self, origin: &str) -> bool {
        match self {
            Origin::Null => origin == "null",
            Origin::Exact(allowed) => origin.eq_ignore_ascii_case(allowed),
            Origin::AnyPort { scheme_and_host } => {
                let without_port = match origin.rsplit_once(':') {
                    Some((rest, port))
                        if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        rest
                    }
                    _ => origin,
                };
                without_port.eq_ignore_ascii_case(scheme_and_host)
            }
        }
    }
}

/// Why an `--rpc-cors` value was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    /// Nothing was given.
    #[error("no origin given (use `all` to allow every origin)")]
    Empty,
    /// An entry is not an origin.
    #[error(
        "`{0}` is not an origin: expected scheme://host[:port], scheme://host:*, `null` or `all`"
    )]
    NotAnOrigin(String),
}

impl FromStr for CorsOrigins {
    type Err = CorsError;

    fn from_str(text: &str) -> Result<Self, CorsError> {
        if text.trim().eq_ignore_ascii_case("all") {
            return Ok(CorsOrigins::Any);
        }
        let origins = text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(parse_origin)
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            return Err(CorsError::Empty);
        }
        Ok(CorsOrigins::List(origins))
    }
}

fn parse_origin(entry: &str) -> Result<Origin, CorsError> {
    if entry == "null" {
        return Ok(Origin::Null);
    }
    let not_an_origin = || CorsError::NotAnOrigin(entry.to_owned());
    let (scheme, rest) = entry.split_once("://").ok_or_else(not_an_origin)?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(not_an_origin());
    }
    match rest.rsplit_once(':') {
        Some((host, "*")) if !host.is_empty() => Ok(Origin::AnyPort {
            scheme_and_host: format!("{scheme}://{host}"),
        }),
        Some((host, port)) if host.is_empty() || port.parse::<u16>().is_err() => {
            Err(not_an_origin())
        }
        _ => Ok(Origin::Exact(entry.to_owned())),
    }
}

impl fmt::Display for CorsOrigins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorsOrigins::Any => f.write_str("all"),
            CorsOrigins::List(origins) => {
                for (i, origin) in origins.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    match origin {
                        Origin::Null => f.write_str("null")?,
                        Origin::Exact(origin) => f.write_str(origin)?,
                        Origin::AnyPort { scheme_and_host } => write!(f, "{scheme_and_host}:*")?,
                    }
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        assert_eq!("all".parse(), Ok(CorsOrigins::Any));
        assert_eq!(" ALL ".parse(), Ok(CorsOrigins::Any));
        assert_eq!(
            "null, https://a.example:8443 ,http://b:*".parse(),
            Ok(CorsOrigins::List(vec![
                Origin::Null,
                Origin::Exact("https://a.example:8443".into()),
                Origin::AnyPort {
                    scheme_and_host: "http://b".into()
                },
            ]))
        );
        assert_eq!("".parse::<CorsOrigins>(), Err(CorsError::Empty));
        assert_eq!(" , ".parse::<CorsOrigins>(), Err(CorsError::Empty));
        for bad in [
            "localhost",
            "http://",
            "://x",
            "http://a/path",
            "http://a:port",
            "http://a:99999",
            "ht tp://a",
        ] {
            assert_eq!(
                bad.parse::<CorsOrigins>(),
                Err(CorsError::NotAnOrigin(bad.into())),
                "{bad}"
            );
        }
        let default = CorsOrigins::substrate_default();
        assert_eq!(default.to_string().parse(), Ok(default));
    }

    #[test]
    fn matching() {
        let default = CorsOrigins::substrate_default();
        for allowed in [
            "http://localhost:3000",
            "http://localhost",
            "https://127.0.0.1:8080",
            "https://polkadot.js.org",
            "HTTPS://Polkadot.JS.org",
        ] {
            assert!(default.allows(allowed), "{allowed}");
        }
        for refused in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://localhost:3000x",
            "https://polkadot.js.org:444",
            "null",
        ] {
            assert!(!default.allows(refused), "{refused}");
        }
        assert!(CorsOrigins::Any.allows("https://evil.example"));
        assert!("null".parse::<CorsOrigins>().unwrap().allows("null"));
    }
}
