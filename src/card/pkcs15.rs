//! Finding the authentication certificate through the PKCS#15 directory of
//! the CPS application: EF(ODF) (`5031`) points to the certificate directory
//! file(s) (CDF, ODF choice `[4]`), whose entries give each certificate's
//! label, id and file path. The authentication certificate is the one whose
//! id is the authentication key's (`…FF001002`, domain.md §3.2), else the one
//! labelled for authentication, else the first. Only BER-TLV walking is
//! needed; malformed entries are skipped, never trusted.

use super::tlv;

/// PKCS#15 object id of CPS_PRIV_AUT (and of its certificate).
pub const AUTH_KEY_ID: [u8; 14] = [
    0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10, 0x02,
];
/// EF(ODF) inside the PKCS#15 application.
pub const FID_ODF: [u8; 2] = [0x50, 0x31];

/// One certificate entry of a CDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertEntry {
    pub label: Option<String>,
    pub id: Vec<u8>,
    pub path: Vec<u8>,
}

/// Paths of the certificate directory files listed in an ODF.
pub fn cdf_paths(odf: &[u8]) -> Vec<Vec<u8>> {
    let Some(objects) = tlv::parse(odf) else {
        return Vec::new();
    };
    objects
        .iter()
        // [4] certificates, [5] trustedCertificates, [6] usefulCertificates
        .filter(|o| o.tag == [0xA4])
        .filter_map(|o| tlv::find(o.value, &[0x04]).map(<[u8]>::to_vec))
        .filter(|p| !p.is_empty() && p.len() % 2 == 0)
        .collect()
}

/// The certificate entries of a CDF (X.509 certificates only).
pub fn cert_entries(cdf: &[u8]) -> Vec<CertEntry> {
    let Some(objects) = tlv::parse(cdf) else {
        return Vec::new();
    };
    objects
        .iter()
        .filter(|o| o.tag == [0x30])
        .filter_map(|o| entry(o.value))
        .collect()
}

fn entry(body: &[u8]) -> Option<CertEntry> {
    let parts = tlv::parse(body)?;
    let common = parts.first().filter(|p| p.tag == [0x30])?;
    let cert_attrs = parts.get(1).filter(|p| p.tag == [0x30])?;
    let type_attrs = parts.iter().find(|p| p.tag == [0xA1])?;
    let label = tlv::parse(common.value)?
        .into_iter()
        .find(|t| t.tag == [0x0C])
        .and_then(|t| std::str::from_utf8(t.value).ok().map(str::to_string));
    let id = tlv::parse(cert_attrs.value)?
        .into_iter()
        .find(|t| t.tag == [0x04])?
        .value
        .to_vec();
    let path = tlv::find(type_attrs.value, &[0x04])?.to_vec();
    (!path.is_empty() && path.len() % 2 == 0).then_some(CertEntry { label, id, path })
}

/// Picks the authentication certificate among the entries.
pub fn auth_certificate(entries: &[CertEntry]) -> Option<&CertEntry> {
    entries
        .iter()
        .find(|e| e.id == AUTH_KEY_ID)
        .or_else(|| {
            entries.iter().find(|e| {
                e.label.as_deref().is_some_and(|l| {
                    let l = l.to_lowercase();
                    l.contains("auth") || l.contains("aut ")
                })
            })
        })
        .or_else(|| entries.first())
}

/// Encodes a CDF entry the way a card stores it (for the simulator and tests).
pub fn encode_entry(label: &str, id: &[u8], path: &[u8]) -> Vec<u8> {
    let common = tlv::encode(&[0x30], &tlv::encode(&[0x0C], label.as_bytes()));
    let cert_attrs = tlv::encode(&[0x30], &tlv::encode(&[0x04], id));
    let path = tlv::encode(&[0x30], &tlv::encode(&[0x04], path));
    let type_attrs = tlv::encode(&[0xA1], &tlv::encode(&[0x30], &path));
    tlv::encode(&[0x30], &[common, cert_attrs, type_attrs].concat())
}

/// Encodes an ODF with one CDF path.
pub fn encode_odf(cdf_path: &[u8]) -> Vec<u8> {
    tlv::encode(
        &[0xA4],
        &tlv::encode(&[0x30], &tlv::encode(&[0x04], cdf_path)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_authentication_certificate() {
        let mut sign_id = AUTH_KEY_ID.to_vec();
        sign_id[13] = 0x01;
        let cdf = [
            encode_entry("CPS signature", &sign_id, &[0xD0, 0x02]),
            encode_entry("CPS authentication", &AUTH_KEY_ID, &[0xD0, 0x01]),
            vec![0x00, 0x00],
        ]
        .concat();
        let entries = cert_entries(&cdf);
        assert_eq!(entries.len(), 2);
        assert_eq!(auth_certificate(&entries).unwrap().path, vec![0xD0, 0x01]);
        // without the known id, the label decides
        let cdf = [
            encode_entry("Signature", &[1], &[0xD0, 0x02]),
            encode_entry(
                "Certificat d'authentification",
                &[2],
                &[0x3F, 0x00, 0xD0, 0x05],
            ),
        ]
        .concat();
        assert_eq!(
            auth_certificate(&cert_entries(&cdf)).unwrap().path,
            vec![0x3F, 0x00, 0xD0, 0x05]
        );
    }

    #[test]
    fn odf_and_garbage() {
        let odf = [encode_odf(&[0x50, 0x32]), vec![0x00; 4]].concat();
        assert_eq!(cdf_paths(&odf), vec![vec![0x50, 0x32]]);
        assert!(cdf_paths(&[0xA4, 0x10, 0x30]).is_empty());
        assert!(cert_entries(&[0x30, 0x03, 0x30, 0x01]).is_empty());
        assert!(cert_entries(&encode_entry("odd path", &[1], &[0xD0])).is_empty());
        assert!(auth_certificate(&[]).is_none());
    }
}
