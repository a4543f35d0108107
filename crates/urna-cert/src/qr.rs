//! The contrassegno's QR code as a grid of modules, drawn by the layout as
//! filled rectangles (vector, no image, so it stays sharp at any zoom and
//! costs a few hundred bytes).

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{bits, ec, Color, EcLevel};

use crate::CertError;

/// The data mask. ISO/IEC 18004 has the encoder try all eight and keep the
/// one with the lowest penalty score (fewest large blocks and finder-like
/// patterns); scoring them took a sixth of a certificate's rendering (2.36
/// ms → 1.98 ms, `--example timing`). Every mask is valid and a reader
/// finds it in the format information, so one fixed mask is used: the crate
/// tests read the codes back with zbarimg, the browser test's PC flow with
/// rqrr (the server's decoder).
const MASK: MaskPattern = MaskPattern::DiagonalLines;

/// A QR code: `width` × `width` modules, row by row, `true` = dark. The quiet
/// zone (4 light modules around) is not included; the layout leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Modules {
    /// Modules per side.
    pub width: usize,
    /// `width * width` modules, row-major, `true` = dark.
    pub dark: Vec<bool>,
}

impl Modules {
    /// The QR code of `text`, error correction M (15%: a printed copy
    /// survives a stain or a fold), with the fixed data mask [`MASK`].
    pub fn encode(text: &str) -> Result<Modules, CertError> {
        let qr = |e: qrcode::types::QrError| CertError::Qr(e.to_string());
        let bits = bits::encode_auto(text.as_bytes(), EcLevel::M).map_err(qr)?;
        let version = bits.version();
        let data = bits.into_bytes();
        let (data, ec) = ec::construct_codewords(&data, version, EcLevel::M).map_err(qr)?;
        let mut canvas = Canvas::new(version, EcLevel::M);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data, &ec);
        canvas.apply_mask(MASK);
        Ok(Modules {
            width: usize::try_from(version.width())
                .map_err(|_| CertError::Qr("no width".into()))?,
            dark: canvas
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// The dark runs of each row as `(row, first column, length)`: one
    /// rectangle per run instead of one per module keeps the path short.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for (row, modules) in self.dark.chunks(self.width.max(1)).enumerate() {
            let mut col = 0;
            while col < modules.len() {
                if modules[col] {
                    let start = col;
                    while col < modules.len() && modules[col] {
                        col += 1;
                    }
                    runs.push((row, start, col - start));
                } else {
                    col += 1;
                }
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let m = Modules::encode("https://example.org/verifica/ABCD-1234").unwrap();
        assert_eq!(m.dark.len(), m.width * m.width);
        let mut painted = vec![false; m.dark.len()];
        for (row, col, len) in m.runs() {
            for c in col..col + len {
                assert!(!painted[row * m.width + c]);
                painted[row * m.width + c] = true;
            }
        }
        assert_eq!(painted, m.dark);
    }

    #[test]
    fn too_long_a_text_is_an_error() {
        let long = "x".repeat(5000);
        assert!(matches!(Modules::encode(&long), Err(CertError::Qr(_))));
    }
}
