//! Opening an authenticated IMAP connection: TCP, TLS (implicit or STARTTLS, never
//! plaintext), the capability check after TLS (pre-TLS capabilities are discarded, as
//! RFC 3501 requires), then authentication by client certificate (`AUTHENTICATE
//! EXTERNAL`), OAuth bearer token (OAUTHBEARER, else XOAUTH2) or password (`LOGIN`).
//! Credentials are fetched only once TLS is up and are sent only over it. Every step is
//! bounded by the account's timeouts.

use std::sync::Arc;

use rustls::ClientConfig;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use zeroize::Zeroizing;

use super::config::{AuthMethod, ImapAccount, Security};
use super::conn::ImapConn;
use super::error::{Error, bounded};
use super::nesting_guard::NestingGuard;
use super::preauth::{self, Capabilities};
use super::secret::run_secret_command;

/// The byte stream under every IMAP session: what the server sends is
/// watched for hostile nesting ([`NestingGuard`]), over TLS, over a read
/// buffer (rustls asks the socket for 4 kB at a time: a 100 MB FETCH answer
/// would cost 25 000 `recvfrom` calls and as many wake-ups).
pub type ImapStream = NestingGuard<tokio_rustls::client::TlsStream<BufReader<TcpStream>>>;

/// Bytes read from the socket at once under TLS.
const SOCKET_READ_BYTES: usize = 256 * 1024;
pub(crate) type ImapSession = async_imap::Session<ImapStream>;

/// Connects, secures and logs in; the connection is ready for commands.
pub async fn connect(account: &ImapAccount, tls: Arc<ClientConfig>) -> Result<ImapConn, Error> {
    let t = account.timeouts;
    let addr = format!("{}:{}", account.host, account.port);
    let mut tcp = bounded("connecting to the IMAP server", t.connect, async {
        TcpStream::connect((account.host.as_str(), account.port))
            .await
            .map_err(|source| Error::Connect {
                addr: addr.clone(),
                source,
            })
    })
    .await?;
    // Interactive traffic: small commands, waiting on answers.
    let _ = tcp.set_nodelay(true);
    if account.security == Security::StartTls {
        preauth::starttls(&mut tcp, t.greeting).await?;
    }
    // Buffered only once TLS starts: nothing the server sent before it may
    // be read as if it came over TLS.
    let tcp = BufReader::with_capacity(SOCKET_READ_BYTES, tcp);
    let name = crate::tls::server_name(&account.host)?;
    let connector = tokio_rustls::TlsConnector::from(tls);
    let tls = bounded("the TLS handshake", t.connect, async {
        connector
            .connect(name, tcp)
            .await
            .map_err(|source| Error::Handshake {
                host: account.host.clone(),
                source,
            })
    })
    .await?;
    let mut stream = NestingGuard::new(tls);
    if account.security == Security::ImplicitTls {
        preauth::greeting(&mut stream, t.greeting).await?;
    }
    let caps = preauth::capabilities(&mut stream, "p1", t.greeting).await?;
    let client = async_imap::Client::new(stream);
    let session = authenticate(client, account, &caps).await?;
    ImapConn::start(session, t, account.use_qresync).await
}

async fn authenticate(
    client: async_imap::Client<ImapStream>,
    account: &ImapAccount,
    caps: &Capabilities,
) -> Result<ImapSession, Error> {
    let t = account.timeouts;
    let refused = |(e, _client): (async_imap::error::Error, _)| match e {
        async_imap::error::Error::No(text) | async_imap::error::Error::Bad(text) => {
            Error::AuthRefused { text }
        }
        other => Error::from_client("login", other),
    };
    match &account.auth {
        AuthMethod::ClientCertificate => {
            if !caps.has("AUTH=EXTERNAL") {
                return Err(Error::NoMechanism { method: "EXTERNAL" });
            }
            // With SASL-IR the empty initial response ("=") saves a round trip.
            let mechanism = if caps.has("SASL-IR") {
                "EXTERNAL ="
            } else {
                "EXTERNAL"
            };
            let sasl = Sasl::new(Vec::new(), Vec::new());
            bounded("AUTHENTICATE EXTERNAL", t.greeting, async {
                client.authenticate(mechanism, sasl).await.map_err(refused)
            })
            .await
        }
        AuthMethod::OAuth { token_command } => {
            // Pick the mechanism first: no token is fetched for a server that cannot take it.
            let oauthbearer = if caps.has("AUTH=OAUTHBEARER") {
                true
            } else if caps.has("AUTH=XOAUTH2") {
                false
            } else {
                return Err(Error::NoMechanism {
                    method: "OAUTHBEARER or XOAUTH2",
                });
            };
            let token = run_secret_command(token_command, t.secret_command).await?;
            let (mechanism, initial, on_error) = if oauthbearer {
                // RFC 7628: gs2 header, then key/value pairs separated by ^A; a failed
                // exchange is closed with a lone ^A.
                let text = format!("n,a={},\x01auth=Bearer {}\x01\x01", account.user, &*token);
                ("OAUTHBEARER", Zeroizing::new(text), vec![1u8])
            } else {
                let text = format!("user={}\x01auth=Bearer {}\x01\x01", account.user, &*token);
                ("XOAUTH2", Zeroizing::new(text), Vec::new())
            };
            let sasl = Sasl::new(initial.as_bytes().to_vec(), on_error);
            bounded("AUTHENTICATE with a token", t.greeting, async {
                client.authenticate(mechanism, sasl).await.map_err(refused)
            })
            .await
        }
        AuthMethod::Password { password_command } => {
            if caps.has("LOGINDISABLED") {
                return Err(Error::NoMechanism { method: "LOGIN" });
            }
            let password = run_secret_command(password_command, t.secret_command).await?;
            bounded("LOGIN", t.greeting, async {
                client
                    .login(&account.user, password.as_str())
                    .await
                    .map_err(refused)
            })
            .await
        }
    }
}

/// A one-shot SASL exchange: the initial response on the first challenge, then
/// `on_error` (what the mechanism sends to close a failed exchange) on any later one.
struct Sasl {
    initial: Zeroizing<Vec<u8>>,
    on_error: Vec<u8>,
    sent: bool,
}

impl Sasl {
    fn new(initial: Vec<u8>, on_error: Vec<u8>) -> Sasl {
        Sasl {
            initial: Zeroizing::new(initial),
            on_error,
            sent: false,
        }
    }
}

impl async_imap::Authenticator for Sasl {
    type Response = Zeroizing<Vec<u8>>;

    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        if self.sent {
            return Zeroizing::new(self.on_error.clone());
        }
        self.sent = true;
        Zeroizing::new(std::mem::take(&mut *self.initial))
    }
}
