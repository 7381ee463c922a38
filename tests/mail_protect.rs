#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The protected archive opens with a standard tool: 7-Zip (`7zz`, Debian's
//! `7zip` package, installed by `tests/stack/install-deps.sh`). Info-ZIP
//! `unzip` 6.00 cannot read WinZip AES, so it is not the reference. Without
//! 7-Zip the test is skipped, unless `CACHET_REQUIRE_STACK=1` makes it fail.

use std::process::Command;

use cachet::mail::compose::Attachment;
use cachet::mail::protect;

fn seven_zip() -> Option<&'static str> {
    ["7zz", "7z", "7za"].into_iter().find(|tool| {
        Command::new(tool)
            .arg("i")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn seven_zip_extracts_the_files_with_the_password_only() {
    let Some(tool) = seven_zip() else {
        assert!(
            std::env::var("CACHET_REQUIRE_STACK").as_deref() != Ok("1"),
            "7-Zip (7zz) is required: run tests/stack/install-deps.sh"
        );
        eprintln!("skipped: no 7-Zip");
        return;
    };
    let pdf: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let files = [
        Attachment {
            name: "compte-rendu.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: pdf.clone(),
        },
        Attachment {
            name: "ordonnance.txt".into(),
            content_type: "text/plain".into(),
            bytes: "Paracétamol 1 g\n".as_bytes().to_vec(),
        },
    ];
    let p = protect::protect(&files).unwrap();
    // Synthetic test bytes, not health data: a temporary file is fine here.
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join(&p.archive.name);
    std::fs::write(&zip_path, &p.archive.bytes).unwrap();

    let listing = Command::new(tool)
        .args(["l", "-slt"])
        .arg(&zip_path)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("AES-256"), "not AES-256: {listing}");

    let wrong = Command::new(tool)
        .args(["x", "-y", "-pnot-the-password"])
        .arg(format!("-o{}", dir.path().join("wrong").display()))
        .arg(&zip_path)
        .output()
        .unwrap();
    assert!(!wrong.status.success(), "opened with a wrong password");

    let out = dir.path().join("out");
    let ok = Command::new(tool)
        .args(["x", "-y"])
        .arg(format!("-p{}", p.password.expose()))
        .arg(format!("-o{}", out.display()))
        .arg(&zip_path)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(std::fs::read(out.join("compte-rendu.pdf")).unwrap(), pdf);
    assert_eq!(
        std::fs::read_to_string(out.join("ordonnance.txt")).unwrap(),
        "Paracétamol 1 g\n"
    );
}
