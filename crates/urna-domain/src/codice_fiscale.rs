//! The Italian codice fiscale: structure, omocodia, check character, and
//! consistency with sex and birth date.

use std::fmt;
use std::str::FromStr;

use time::{Date, Month};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CfError {
    #[error("codice fiscale must be 16 characters, got {0}")]
    Length(usize),
    #[error("codice fiscale {0:?}: character {1} is not allowed at that position")]
    Shape(String, usize),
    #[error("codice fiscale {0:?}: check character should be {1}")]
    Check(String, char),
    #[error("codice fiscale {0:?}: encodes an impossible birth date")]
    Date(String),
}

/// A structurally valid codice fiscale (upper case, check character verified).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodiceFiscale(String);

const OMOCODIA: &[u8] = b"LMNPQRSTUV";
const MONTHS: &[u8] = b"ABCDEHLMPRST";
const ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// The check character of the first 15 characters.
pub fn check_char(first15: &[u8]) -> char {
    let mut sum = 0u32;
    for (i, &c) in first15.iter().enumerate() {
        let v = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            (c - b'A') as u32
        };
        // Positions are 1-based in the official rules (DM 23 December
        // 1976): odd = index 0, 2, …
        sum += if i % 2 == 0 { ODD[v as usize] } else { v };
    }
    (b'A' + (sum % 26) as u8) as char
}

/// Digit positions that omocodia may replace with a letter.
const DIGIT_POS: [usize; 7] = [6, 7, 9, 10, 12, 13, 14];

fn decode_digit(c: u8) -> Option<u8> {
    if c.is_ascii_digit() {
        Some(c - b'0')
    } else {
        OMOCODIA.iter().position(|&o| o == c).map(|p| p as u8)
    }
}

impl CodiceFiscale {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digits(&self, from: usize, n: usize) -> u32 {
        self.0.as_bytes()[from..from + n]
            .iter()
            .fold(0, |acc, &c| acc * 10 + decode_digit(c).unwrap_or(0) as u32)
    }

    /// Sex encoded in the day (day + 40 for women).
    pub fn is_female(&self) -> bool {
        self.digits(9, 2) > 40
    }

    /// Day, month and the two last digits of the birth year.
    pub fn birth(&self) -> (u8, Month, u8) {
        let day = self.digits(9, 2) % 40;
        let m = MONTHS
            .iter()
            .position(|&c| c == self.0.as_bytes()[8])
            .unwrap_or(0);
        (
            day as u8,
            Month::try_from(m as u8 + 1).unwrap_or(Month::January),
            self.digits(6, 2) as u8,
        )
    }

    /// The cadastral code of the birthplace (omocodia undone).
    pub fn birthplace(&self) -> String {
        let b = self.0.as_bytes();
        let mut s = String::with_capacity(4);
        s.push(b[11] as char);
        for &c in &b[12..15] {
            s.push((b'0' + decode_digit(c).unwrap_or(0)) as char);
        }
        s
    }

    /// Does the code agree with a birth date and sex?
    pub fn agrees_with(&self, birth: Date, female: bool) -> bool {
        let (d, m, y) = self.birth();
        d == birth.day()
            && m == birth.month()
            && y as i32 == birth.year().rem_euclid(100)
            && self.is_female() == female
    }

    /// Builds the code from its parts (used by the synthetic population
    /// generator): surname and name codes, birth date, sex, cadastral code.
    pub fn compose(
        surname: &str,
        name: &str,
        birth: Date,
        female: bool,
        catastale: &str,
    ) -> CodiceFiscale {
        let mut s = String::with_capacity(16);
        s.push_str(&surname_code(surname));
        s.push_str(&name_code(name));
        s.push_str(&format!("{:02}", birth.year().rem_euclid(100)));
        s.push(MONTHS[birth.month() as usize - 1] as char);
        s.push_str(&format!(
            "{:02}",
            birth.day() as u32 + if female { 40 } else { 0 }
        ));
        s.push_str(&catastale.to_ascii_uppercase());
        let c = check_char(s.as_bytes());
        s.push(c);
        CodiceFiscale(s)
    }
}

fn letters(s: &str) -> (Vec<char>, Vec<char>) {
    let up: Vec<char> = s
        .to_ascii_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let (v, c): (Vec<char>, Vec<char>) = up.into_iter().partition(|c| "AEIOU".contains(*c));
    (c, v)
}

fn pad3(mut v: Vec<char>) -> String {
    while v.len() < 3 {
        v.push('X');
    }
    v.into_iter().take(3).collect()
}

fn surname_code(s: &str) -> String {
    let (cons, vow) = letters(s);
    pad3(cons.into_iter().chain(vow).collect())
}

fn name_code(s: &str) -> String {
    let (cons, vow) = letters(s);
    if cons.len() >= 4 {
        return [cons[0], cons[2], cons[3]].iter().collect();
    }
    pad3(cons.into_iter().chain(vow).collect())
}

impl FromStr for CodiceFiscale {
    type Err = CfError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 16 {
            return Err(CfError::Length(s.chars().count()));
        }
        for (i, &c) in b.iter().enumerate() {
            let ok = match i {
                0..=5 | 8 | 11 | 15 => c.is_ascii_uppercase(),
                _ if DIGIT_POS.contains(&i) => c.is_ascii_digit() || OMOCODIA.contains(&c),
                _ => false,
            };
            if !ok {
                return Err(CfError::Shape(s.to_string(), i + 1));
            }
        }
        if !MONTHS.contains(&b[8]) {
            return Err(CfError::Shape(s.to_string(), 9));
        }
        let expected = check_char(&b[..15]);
        if b[15] as char != expected {
            return Err(CfError::Check(s.to_string(), expected));
        }
        let cf = CodiceFiscale(s.to_string());
        let day = cf.digits(9, 2);
        if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
            return Err(CfError::Date(s.to_string()));
        }
        Ok(cf)
    }
}

impl fmt::Display for CodiceFiscale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn composes_the_textbook_example() {
        // Mario Rossi, born in Roma (H501) on 1 January 1980.
        let cf = CodiceFiscale::compose("Rossi", "Mario", date!(1980 - 01 - 01), false, "H501");
        assert_eq!(cf.as_str(), "RSSMRA80A01H501U");
        assert!(cf.as_str().parse::<CodiceFiscale>().is_ok());
        assert!(cf.agrees_with(date!(1980 - 01 - 01), false));
        assert!(!cf.agrees_with(date!(1980 - 01 - 02), false));
        assert_eq!(cf.birthplace(), "H501");
    }

    #[test]
    fn women_add_40_to_the_day() {
        let cf = CodiceFiscale::compose("Bianchi", "Anna", date!(1975 - 12 - 31), true, "F205");
        assert!(cf.as_str().contains("T71F205"));
        assert!(cf.is_female());
        assert!(cf.agrees_with(date!(1975 - 12 - 31), true));
    }

    #[test]
    fn name_with_four_consonants_skips_the_second() {
        assert_eq!(name_code("Gianfranco"), "GFR");
        assert_eq!(surname_code("Fo"), "FOX");
    }

    #[test]
    fn wrong_check_character_and_shape_are_refused() {
        assert!(matches!(
            "RSSMRA80A01H501X".parse::<CodiceFiscale>(),
            Err(CfError::Check(_, 'U'))
        ));
        assert!(matches!(
            "RSSMRA80A01H501".parse::<CodiceFiscale>(),
            Err(CfError::Length(15))
        ));
        assert!(matches!(
            "rssmra80a01h501u".parse::<CodiceFiscale>(),
            Err(CfError::Shape(_, 1))
        ));
        assert!(matches!(
            "RSSMRA80Z01H501U".parse::<CodiceFiscale>(),
            Err(CfError::Shape(_, 9))
        ));
    }

    #[test]
    fn omocodia_letters_are_decoded() {
        // Replace the last digit of the place code (1 -> M) and recompute the check.
        let mut s = b"RSSMRA80A01H50M".to_vec();
        let c = check_char(&s);
        s.push(c as u8);
        let cf: CodiceFiscale = String::from_utf8(s).unwrap().parse().unwrap();
        assert_eq!(cf.birthplace(), "H501");
        assert!(cf.agrees_with(date!(1980 - 01 - 01), false));
    }
}
