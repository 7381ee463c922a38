//! The simulator's test PKI, kept in a folder so that servers and the card
//! agree across runs: `ca.crt`/`ca.key` are reused when present (the stack's
//! openssl CA) and created otherwise; `card.crt`/`card.key` hold the
//! simulated holder (MARTIN Alice, Médecin, IDNPS 810100000017, laid out like
//! an IGC-Santé card certificate); `server.crt`/`server.key` for localhost
//! are created only when absent. Keys are RSA-2048 from the `rsa` crate,
//! certificates are signed by rcgen; key files are written mode 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SanType,
};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use crate::card::error::Error;

/// The simulated holder (docs/dev/test-stack.md).
pub const CARD_CN: &str = "810100000017";
pub const CARD_EMAIL: &str = "alice@example.test";

/// A loaded test PKI.
pub struct TestPki {
    pub dir: PathBuf,
    pub ca_cert_der: Vec<u8>,
    pub card_cert_der: Vec<u8>,
    pub card_key: rsa::PrivateKey,
}

fn pki_err(context: impl Into<String>) -> Error {
    Error::Pki {
        context: context.into(),
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        context: format!("cannot read {}", path.display()),
        source,
    })
}

fn write(path: &Path, text: &str, private: bool) -> Result<(), Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| Error::Io {
        context: format!("cannot write {}", path.display()),
        source,
    };
    // Written aside then renamed: a reader never sees half a file, and a
    // key file is 0600 from its first byte.
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(&tmp)
        .map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// OS randomness for the `rsa` crate's key generation.
struct OsRng;

#[derive(Debug)]
struct RngFailure;
impl std::fmt::Display for RngFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the operating system refused randomness")
    }
}
impl std::error::Error for RngFailure {}

impl rsa::rand_core::TryRng for OsRng {
    type Error = RngFailure;
    fn try_next_u32(&mut self) -> Result<u32, RngFailure> {
        getrandom::u32().map_err(|_| RngFailure)
    }
    fn try_next_u64(&mut self) -> Result<u64, RngFailure> {
        getrandom::u64().map_err(|_| RngFailure)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngFailure> {
        getrandom::fill(dst).map_err(|_| RngFailure)
    }
}
impl rsa::rand_core::TryCryptoRng for OsRng {}

/// A fresh RSA-2048 key as (rsa key, PKCS#8 PEM).
fn new_key() -> Result<(rsa::PrivateKey, String), Error> {
    let key = rsa::PrivateKey::new(&mut OsRng, 2048)
        .map_err(|e| pki_err(format!("RSA key generation failed: {e}")))?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| pki_err(format!("cannot encode a key: {e}")))?;
    Ok((key, pem.to_string()))
}

fn load_key(pem: &str) -> Result<rsa::PrivateKey, Error> {
    rsa::PrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| rsa::PrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| pki_err("a key file is not an RSA private key in PEM"))
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, Error> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.to_vec())
        .map_err(|_| pki_err("a certificate file is not PEM"))
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(days);
}

/// The CA as an rcgen issuer, whatever tool made it: its subject and key id
/// are copied from the certificate so chains verify byte for byte.
fn issuer_from(ca_der: &[u8], ca_key_pem: &str) -> Result<Issuer<'static, KeyPair>, Error> {
    let (_, ca) =
        X509Certificate::from_der(ca_der).map_err(|_| pki_err("ca.crt does not parse"))?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    for attr in ca.subject().iter_attributes() {
        let Ok(value) = attr.as_str() else { continue };
        let arcs: Option<Vec<u64>> = attr.attr_type().iter().map(|i| i.collect());
        let Some(arcs) = arcs else { continue };
        let ty = match arcs.as_slice() {
            [2, 5, 4, 3] => DnType::CommonName,
            [2, 5, 4, 6] => DnType::CountryName,
            [2, 5, 4, 7] => DnType::LocalityName,
            [2, 5, 4, 8] => DnType::StateOrProvinceName,
            [2, 5, 4, 10] => DnType::OrganizationName,
            [2, 5, 4, 11] => DnType::OrganizationalUnitName,
            _ => DnType::CustomDnType(arcs),
        };
        dn.push(ty, value);
    }
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ski = ca
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
    if let Some(ski) = ski {
        params.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    }
    let key =
        KeyPair::from_pem(ca_key_pem).map_err(|e| pki_err(format!("ca.key is not usable: {e}")))?;
    Ok(Issuer::new(params, key))
}

fn make_ca(dir: &Path) -> Result<(), Error> {
    let (_, pem) = new_key()?;
    let kp = KeyPair::from_pem(&pem).map_err(|e| pki_err(e.to_string()))?;
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Test Stack");
    params
        .distinguished_name
        .push(DnType::CommonName, "Test Stack CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut params, 3650);
    let cert = params
        .self_signed(&kp)
        .map_err(|e| pki_err(e.to_string()))?;
    write(&dir.join("ca.key"), &pem, true)?;
    write(&dir.join("ca.crt"), &cert.pem(), false)
}

fn card_params() -> Result<CertificateParams, Error> {
    let mut p = CertificateParams::default();
    let dn = &mut p.distinguished_name;
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::OrganizationName, "CABINET MEDICAL MARTIN");
    dn.push(DnType::OrganizationalUnitName, "Test Stack");
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 12]), "Médecin"); // title: the profession
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 42]), "Alice"); // givenName
    dn.push(DnType::CustomDnType(vec![2, 5, 4, 4]), "MARTIN"); // surname
    dn.push(DnType::CommonName, CARD_CN); // the IDNPS, also the IMAP user name
    let email = CARD_EMAIL.try_into().map_err(|_| pki_err("bad e-mail"))?;
    p.subject_alt_names = vec![SanType::Rfc822Name(email)];
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::EmailProtection,
    ];
    p.use_authority_key_identifier_extension = true;
    validity(&mut p, 730);
    Ok(p)
}

fn server_params() -> Result<CertificateParams, Error> {
    let mut p = CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| pki_err(e.to_string()))?;
    p.subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    p.distinguished_name
        .push(DnType::OrganizationName, "Test Stack");
    p.distinguished_name.push(DnType::CommonName, "localhost");
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    validity(&mut p, 730);
    Ok(p)
}

fn issue(
    dir: &Path,
    name: &str,
    params: CertificateParams,
    issuer: &Issuer<'_, KeyPair>,
) -> Result<(), Error> {
    let (_, pem) = new_key()?;
    let kp = KeyPair::from_pem(&pem).map_err(|e| pki_err(e.to_string()))?;
    let cert = params
        .signed_by(&kp, issuer)
        .map_err(|e| pki_err(e.to_string()))?;
    write(&dir.join(format!("{name}.key")), &pem, true)?;
    write(&dir.join(format!("{name}.crt")), &cert.pem(), false)
}

/// Whether `name.crt`/`name.key` exist, belong together and were issued by
/// the current CA (a CA made anew by the stack makes older leaves useless).
fn usable_pair(dir: &Path, name: &str, ca_der: &[u8]) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    let (Ok(cert), Ok(key)) = (
        read(&dir.join(format!("{name}.crt"))),
        read(&dir.join(format!("{name}.key"))),
    ) else {
        return false;
    };
    let (Ok(cert), Ok(key)) = (pem_to_der(&cert), load_key(&key)) else {
        return false;
    };
    let (Ok((_, cert)), Ok((_, ca))) = (
        X509Certificate::from_der(&cert),
        X509Certificate::from_der(ca_der),
    ) else {
        return false;
    };
    let same_key = rsa::PublicKey::from_public_key_der(cert.public_key().raw)
        .is_ok_and(|k| k == key.to_public_key());
    same_key && cert.issuer().as_raw() == ca.subject().as_raw() && same_key_id(&cert, &ca)
}

/// The leaf's authority key id names the CA's key (when both say): a CA
/// re-made with the same name but a new key does not match.
fn same_key_id(cert: &X509Certificate<'_>, ca: &X509Certificate<'_>) -> bool {
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        });
    let ski = ca
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        });
    match (aki, ski) {
        (Some(a), Some(s)) => a == s,
        _ => true,
    }
}

/// Loads the PKI in `dir`, creating what is missing or no longer matching the CA.
pub fn ensure(dir: &Path) -> Result<TestPki, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        context: format!("cannot create {}", dir.display()),
        source,
    })?;
    // Tests in several processes may share one PKI folder: one at a time.
    let _lock = DirLock::take(dir)?;
    if !(dir.join("ca.crt").is_file() && dir.join("ca.key").is_file()) {
        make_ca(dir)?;
    }
    let ca_cert_der = pem_to_der(&read(&dir.join("ca.crt"))?)?;
    let server_missing = !(dir.join("server.crt").is_file() && dir.join("server.key").is_file());
    let card_unusable = !usable_pair(dir, "card", &ca_cert_der);
    if server_missing || card_unusable {
        let issuer = issuer_from(&ca_cert_der, &read(&dir.join("ca.key"))?)?;
        if card_unusable {
            issue(dir, "card", card_params()?, &issuer)?;
        }
        // The server pair belongs to whoever made it (the stack): only made when absent.
        if server_missing {
            issue(dir, "server", server_params()?, &issuer)?;
        }
    }
    Ok(TestPki {
        dir: dir.to_path_buf(),
        ca_cert_der,
        card_cert_der: pem_to_der(&read(&dir.join("card.crt"))?)?,
        card_key: load_key(&read(&dir.join("card.key"))?)?,
    })
}

/// An exclusive lock on a PKI folder (a `.lock` file made with
/// `create_new`), waited for at most [`LOCK_WAIT`]; a lock left by a
/// crashed process is taken over once older than [`LOCK_STALE`].
struct DirLock(PathBuf);

const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);
const LOCK_STALE: std::time::Duration = std::time::Duration::from_secs(120);

impl DirLock {
    fn take(dir: &Path) -> Result<DirLock, Error> {
        let path = dir.join(".lock");
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(DirLock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > LOCK_STALE);
                    if stale {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if std::time::Instant::now() > deadline {
                        return Err(pki_err(format!(
                            "{} stays locked by another process",
                            dir.display()
                        )));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(source) => {
                    return Err(Error::Io {
                        context: format!("cannot lock {}", dir.display()),
                        source,
                    });
                }
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
