#![allow(clippy::expect_used, clippy::unwrap_used)]
//! PDF text for the viewer: a minimal valid PDF written here (a page, a
//! Helvetica font, a Flate-compressed content stream, a correct xref), the
//! same PDF inside a CDA level 1 body, corrupted and hostile variants.

use std::io::Write;

use base64::Engine;
use cachet::records::content;
use cachet::records::pdf::extract_text;

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A one-page PDF 1.4 showing `lines` (Latin-1 literal strings).
fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = b"BT /F1 12 Tf 72 760 Td 14 TL\n".to_vec();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            content.extend_from_slice(b"T*\n");
        }
        content.push(b'(');
        for ch in line.chars() {
            match ch {
                '(' | ')' | '\\' => {
                    content.push(b'\\');
                    content.push(ch as u8);
                }
                c if (c as u32) < 0x80 => content.push(c as u8),
                c => content.extend_from_slice(format!("\\{:03o}", c as u32).as_bytes()),
            }
        }
        content.extend_from_slice(b") Tj\n");
    }
    content.extend_from_slice(b"ET\n");
    let stream = deflate(&content);
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(&mut out, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    object(
        &mut out,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    );
    object(
        &mut out,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    let mut body = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        stream.len()
    )
    .into_bytes();
    body.extend_from_slice(&stream);
    body.extend_from_slice(b"\nendstream");
    object(&mut out, &body);
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn plain(text: &cachet::domain::text::RichText) -> String {
    text.layout(100)
        .iter()
        .map(|l| l.to_plain_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_generated_pdf_gives_its_text() {
    let bytes = pdf(&[
        "Compte rendu (consultation)",
        "Tension artérielle : 12/8",
        "Conclusion : RAS",
    ]);
    assert_eq!(
        extract_text(&bytes).unwrap(),
        vec![
            "Compte rendu (consultation)",
            "Tension artérielle : 12/8",
            "Conclusion : RAS"
        ]
    );
    let text = plain(&content::render(Some("application/pdf"), &bytes).unwrap());
    assert!(text.contains("Tension artérielle : 12/8"), "{text}");
}

#[test]
fn a_level_1_cda_shows_the_text_of_its_pdf() {
    let bytes = pdf(&["Lettre de liaison", "Traitement de sortie : aucun"]);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let cda = format!(
        r#"<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Lettre PDF</title>
        <component><nonXMLBody><text mediaType="application/pdf" representation="B64">{b64}</text></nonXMLBody></component></ClinicalDocument>"#
    );
    let text = plain(&content::render(Some("text/xml"), cda.as_bytes()).unwrap());
    assert!(text.contains("Lettre PDF"), "{text}");
    assert!(text.contains("Texte extrait du PDF"), "{text}");
    assert!(text.contains("Traitement de sortie : aucun"), "{text}");
}

#[test]
fn corrupted_and_hostile_pdfs_are_refused_or_partial_never_a_panic() {
    let good = pdf(&["Bonjour"]);
    // Truncated anywhere: an error or partial text, never a panic.
    for cut in (0..good.len()).step_by(7) {
        let _ = extract_text(&good[..cut]);
    }
    // Bytes flipped inside the compressed stream.
    let mut flipped = good.clone();
    let at = flipped.windows(6).position(|w| w == b"stream").unwrap() + 12;
    for b in &mut flipped[at..at + 8] {
        *b ^= 0x5a;
    }
    let _ = extract_text(&flipped);
    assert!(extract_text(b"GIF89a").is_err());
    assert!(content::render(Some("application/pdf"), b"not a pdf").is_err());

    // A compression bomb: 64 MiB of one byte inflate to at most the stream bound (16 MiB).
    let mut bomb = b"%PDF-1.4\n1 0 obj\n<< /Filter /FlateDecode >>\nstream\n".to_vec();
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b'('; 1 << 20];
    for _ in 0..64 {
        e.write_all(&chunk).unwrap();
    }
    bomb.extend_from_slice(&e.finish().unwrap());
    bomb.extend_from_slice(b"\nendstream\nendobj\n%%EOF");
    let lines = extract_text(&bomb).unwrap();
    assert!(lines.iter().map(String::len).sum::<usize>() <= 16 * 1024 * 1024);

    // Many stream keywords, with and without ends: bounded work, an answer.
    let many = [
        b"%PDF-1.4\n".as_slice(),
        &b"stream\nx endstream ".repeat(50_000),
    ]
    .concat();
    assert!(extract_text(&many).unwrap().is_empty());

    // Other types go to the external viewer.
    let text = plain(&content::render(Some("image/jpeg"), b"\xff\xd8\xff").unwrap());
    assert!(text.contains("visionneuse externe"), "{text}");
}
