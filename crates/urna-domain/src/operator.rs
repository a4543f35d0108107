//! Operators and their profiles (docs/security.md, "Operators and profiles";
//! italia/anpr#4275, #4099, #3973): a comune's registry operators are
//! registered with ANPR by their codice fiscale (the SAML NameID), and only
//! those with the electoral profile ("ufficiale elettorale") may change
//! electoral data.

use std::fmt;

/// A profile an operator of a comune holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// Ufficiale elettorale: electoral lists, sections, electoral
    /// certificates, the electoral part of consultations.
    Elettorale,
    /// Registry operator without electoral rights.
    Anagrafe,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Elettorale, Profile::Anagrafe];

    pub fn key(self) -> &'static str {
        match self {
            Profile::Elettorale => "elettorale",
            Profile::Anagrafe => "anagrafe",
        }
    }

    pub fn from_key(s: &str) -> Option<Profile> {
        Self::ALL.into_iter().find(|p| p.key() == s)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The profiles of one operator, stored as a comma-separated list of keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profiles(Vec<Profile>);

impl Profiles {
    pub fn new(mut v: Vec<Profile>) -> Profiles {
        v.sort();
        v.dedup();
        Profiles(v)
    }

    pub fn contains(&self, p: Profile) -> bool {
        self.0.contains(&p)
    }

    /// Parses `elettorale,anagrafe`; unknown keys are an error.
    pub fn parse(s: &str) -> Result<Profiles, String> {
        s.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                Profile::from_key(k).ok_or_else(|| {
                    format!("unknown profile {k:?}: profiles are elettorale, anagrafe")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Profiles::new)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Profiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.0.iter().map(|p| p.key()).collect();
        f.write_str(&keys.join(","))
    }
}

/// The profile an operation needs: the electoral changes (5010, 5011, 2012)
/// need the electoral profile; reading a section (3008) any registered
/// operator of the comune.
pub fn required_profile(operation: &str) -> Option<Profile> {
    match operation {
        // 6001 issues only the electoral certificates.
        "5010" | "5011" | "2012" | "6001" => Some(Profile::Elettorale),
        _ => None,
    }
}

/// Why an operator may not run an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not registered for the comune.
    Unknown,
    /// Registered without the profile the operation needs.
    NotProfiled { required: Profile, held: Profiles },
}

/// May an operator with `held` profiles (None: not registered for the
/// comune) run `operation`?
pub fn authorise(
    held: Option<&Profiles>,
    operation: &str,
    allow_unknown: bool,
) -> Result<(), Refusal> {
    match held {
        None if allow_unknown => Ok(()),
        None => Err(Refusal::Unknown),
        Some(p) => match required_profile(operation) {
            Some(r) if !p.contains(r) => Err(Refusal::NotProfiled {
                required: r,
                held: p.clone(),
            }),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_print_in_order() {
        let p = Profiles::parse("anagrafe, elettorale,anagrafe").unwrap();
        assert_eq!(p.to_string(), "elettorale,anagrafe");
        assert!(Profiles::parse("sindaco").unwrap_err().contains("sindaco"));
    }

    #[test]
    fn electoral_changes_need_the_electoral_profile() {
        let el = Profiles::new(vec![Profile::Elettorale]);
        let an = Profiles::new(vec![Profile::Anagrafe]);
        for op in ["5010", "5011", "2012", "6001"] {
            assert_eq!(authorise(Some(&el), op, false), Ok(()));
            assert_eq!(
                authorise(Some(&an), op, false),
                Err(Refusal::NotProfiled {
                    required: Profile::Elettorale,
                    held: an.clone()
                })
            );
            assert_eq!(authorise(None, op, false), Err(Refusal::Unknown));
            assert_eq!(authorise(None, op, true), Ok(()));
        }
        assert_eq!(authorise(Some(&an), "3008", false), Ok(()));
        assert_eq!(authorise(None, "3008", false), Err(Refusal::Unknown));
    }
}
