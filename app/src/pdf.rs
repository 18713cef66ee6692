//! A letter as a PDF for sending, printed by headless Chromium from the same HTML the letter is
//! (docs/decisions/0006-letters-printed-to-pdf-by-chromium.md).
//!
//! The letter holds personal data: it is written to a directory of its own that only this process's user
//! may read, printed there, and the directory is removed when the PDF is read back. Nothing of it goes on a
//! command line or into the log.

use std::path::PathBuf;
use std::time::Duration;

/// Why no PDF was made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("no Chromium is installed to print the letter")]
    NoChromium,
    #[error("printing the letter failed")]
    Failed,
}

/// How long a print may take.
const PRINT_TIME: Duration = Duration::from_secs(60);

/// The print style: the page's margins, and no ligatures, so the PDF's text reads back as it was written.
const PRINT_STYLE: &str = "<style>@page{size:A4;margin:20mm}body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11pt;font-variant-ligatures:none;line-height:1.4}dt{font-weight:bold}table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 4px;text-align:left}</style>";

/// The Chromium to print with: the first of the usual names found on `PATH`.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| {
            ["chromium", "chromium-browser", "google-chrome"]
                .into_iter()
                .map(move |name| dir.join(name))
        })
        .find(|candidate| candidate.is_file())
}

/// The letter's HTML printed to PDF.
pub async fn print(html: &str) -> Result<Vec<u8>, PdfError> {
    let chromium = chromium().ok_or(PdfError::NoChromium)?;
    let dir = tempfile::Builder::new()
        .prefix("etp-letter-")
        .tempdir()
        .map_err(|_| PdfError::Failed)?;
    // The stylesheet the letter links is served by the site; printed from a file, the print style stands in.
    let html = html.replacen("</head>", &format!("{PRINT_STYLE}</head>"), 1);
    let letter = dir.path().join("letter.html");
    let pdf = dir.path().join("letter.pdf");
    tokio::fs::write(&letter, html)
        .await
        .map_err(|_| PdfError::Failed)?;
    let mut command = tokio::process::Command::new(chromium);
    command
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .arg("--no-pdf-header-footer")
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", letter.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let status = tokio::time::timeout(PRINT_TIME, command.status())
        .await
        .map_err(|_| PdfError::Failed)?
        .map_err(|_| PdfError::Failed)?;
    if !status.success() {
        return Err(PdfError::Failed);
    }
    let bytes = tokio::fs::read(&pdf).await.map_err(|_| PdfError::Failed)?;
    if !bytes.starts_with(b"%PDF") {
        return Err(PdfError::Failed);
    }
    Ok(bytes)
}
