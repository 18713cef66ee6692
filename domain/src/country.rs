//! Countries by their English short names (`Kenya`, `United Kingdom`), as the contract spells them.
//!
//! Nationality is the country of citizenship, never a demonym; residence is a country too. The sharing rules
//! compare these names, so they are kept in one canonical spelling: input is matched without regard to case
//! and a few common alternative names are accepted and turned into the canonical one.

use serde::{Deserialize, Serialize};

/// The canonical names, in the spelling the UK government's country register uses.
#[rustfmt::skip]
pub const COUNTRIES: &[&str] = &[
    "Afghanistan", "Albania", "Algeria", "Andorra", "Angola", "Antigua and Barbuda", "Argentina",
    "Armenia", "Australia", "Austria", "Azerbaijan", "Bahrain", "Bangladesh", "Barbados", "Belarus",
    "Belgium", "Belize", "Benin", "Bhutan", "Bolivia", "Bosnia and Herzegovina", "Botswana", "Brazil",
    "Brunei", "Bulgaria", "Burkina Faso", "Burundi", "Cambodia", "Cameroon", "Canada", "Cape Verde",
    "Central African Republic", "Chad", "Chile", "China", "Colombia", "Comoros", "Congo",
    "Congo (Democratic Republic)", "Costa Rica", "Croatia", "Cuba", "Cyprus", "Czechia", "Denmark",
    "Djibouti", "Dominica", "Dominican Republic", "East Timor", "Ecuador", "Egypt", "El Salvador",
    "Equatorial Guinea", "Eritrea", "Estonia", "Eswatini", "Ethiopia", "Fiji", "Finland", "France",
    "Gabon", "Georgia", "Germany", "Ghana", "Greece", "Grenada", "Guatemala", "Guinea", "Guinea-Bissau",
    "Guyana", "Haiti", "Honduras", "Hong Kong", "Hungary", "Iceland", "India", "Indonesia", "Iran",
    "Iraq", "Ireland", "Israel", "Italy", "Ivory Coast", "Jamaica", "Japan", "Jordan", "Kazakhstan",
    "Kenya", "Kiribati", "Kosovo", "Kuwait", "Kyrgyzstan", "Laos", "Latvia", "Lebanon", "Lesotho",
    "Liberia", "Libya", "Liechtenstein", "Lithuania", "Luxembourg", "Macao", "Madagascar", "Malawi",
    "Malaysia", "Maldives", "Mali", "Malta", "Marshall Islands", "Mauritania", "Mauritius", "Mexico",
    "Micronesia", "Moldova", "Monaco", "Mongolia", "Montenegro", "Morocco", "Mozambique", "Myanmar (Burma)",
    "Namibia", "Nauru", "Nepal", "Netherlands", "New Zealand", "Nicaragua", "Niger", "Nigeria",
    "North Korea", "North Macedonia", "Norway", "Occupied Palestinian Territories", "Oman", "Pakistan",
    "Palau", "Panama", "Papua New Guinea", "Paraguay", "Peru", "Philippines", "Poland", "Portugal",
    "Qatar", "Romania", "Russia", "Rwanda", "St Kitts and Nevis", "St Lucia", "St Vincent",
    "Samoa", "San Marino", "Sao Tome and Principe", "Saudi Arabia", "Senegal", "Serbia", "Seychelles",
    "Sierra Leone", "Singapore", "Slovakia", "Slovenia", "Solomon Islands", "Somalia", "South Africa",
    "South Korea", "South Sudan", "Spain", "Sri Lanka", "Sudan", "Suriname", "Sweden", "Switzerland",
    "Syria", "Taiwan", "Tajikistan", "Tanzania", "Thailand", "The Bahamas", "The Gambia", "Togo", "Tonga",
    "Trinidad and Tobago", "Tunisia", "Turkey", "Turkmenistan", "Tuvalu", "Uganda", "Ukraine",
    "United Arab Emirates", "United Kingdom", "United States", "Uruguay", "Uzbekistan", "Vanuatu",
    "Vatican City", "Venezuela", "Vietnam", "Yemen", "Zambia", "Zimbabwe",
];

/// Other names people write for a country, and the canonical name they stand for.
const ALTERNATIVE_NAMES: &[(&str, &str)] = &[
    ("UK", "United Kingdom"),
    ("Great Britain", "United Kingdom"),
    (
        "United Kingdom of Great Britain and Northern Ireland",
        "United Kingdom",
    ),
    ("USA", "United States"),
    ("United States of America", "United States"),
    ("Bahamas", "The Bahamas"),
    ("Gambia", "The Gambia"),
    ("Cote d'Ivoire", "Ivory Coast"),
    ("Côte d'Ivoire", "Ivory Coast"),
    (
        "Democratic Republic of the Congo",
        "Congo (Democratic Republic)",
    ),
    ("DR Congo", "Congo (Democratic Republic)"),
    ("Republic of the Congo", "Congo"),
    ("Myanmar", "Myanmar (Burma)"),
    ("Burma", "Myanmar (Burma)"),
    ("Czech Republic", "Czechia"),
    ("Swaziland", "Eswatini"),
    ("Timor-Leste", "East Timor"),
    ("Cabo Verde", "Cape Verde"),
    ("Republic of Korea", "South Korea"),
    ("Korea, Republic of", "South Korea"),
    ("Russian Federation", "Russia"),
    ("Viet Nam", "Vietnam"),
    ("Türkiye", "Turkey"),
    ("Turkiye", "Turkey"),
    ("Palestine", "Occupied Palestinian Territories"),
    ("Saint Lucia", "St Lucia"),
    ("Saint Kitts and Nevis", "St Kitts and Nevis"),
    ("Saint Vincent and the Grenadines", "St Vincent"),
    ("St Vincent and the Grenadines", "St Vincent"),
    ("Holy See", "Vatican City"),
    ("Lao PDR", "Laos"),
    ("Brunei Darussalam", "Brunei"),
    ("Macedonia", "North Macedonia"),
    ("Tanzania, United Republic of", "Tanzania"),
    ("United Republic of Tanzania", "Tanzania"),
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Country(String);

impl Country {
    /// The canonical country for a name a person typed, or `None` where it names no country we know
    /// (a demonym such as "Kenyan" is not a country).
    pub fn parse(raw: &str) -> Option<Country> {
        let wanted = raw.trim();
        COUNTRIES
            .iter()
            .find(|name| name.eq_ignore_ascii_case(wanted))
            .copied()
            .or_else(|| {
                ALTERNATIVE_NAMES
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(wanted))
                    .map(|(_, canonical)| *canonical)
            })
            .map(|name| Country(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country of study where none was given: the programme's scholars study in the UK unless their
    /// course or award says otherwise.
    pub fn united_kingdom() -> Country {
        Country("United Kingdom".to_string())
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_without_regard_to_case_and_made_canonical() {
        assert_eq!(Country::parse("kenya").unwrap().as_str(), "Kenya");
        assert_eq!(
            Country::parse(" United Kingdom ").unwrap().as_str(),
            "United Kingdom"
        );
        assert_eq!(Country::parse("UK").unwrap().as_str(), "United Kingdom");
        assert_eq!(
            Country::parse("Côte d'Ivoire").unwrap().as_str(),
            "Ivory Coast"
        );
    }

    #[test]
    fn a_demonym_is_not_a_country() {
        assert!(Country::parse("Kenyan").is_none());
        assert!(Country::parse("British").is_none());
        assert!(Country::parse("").is_none());
    }

    #[test]
    fn every_alternative_name_leads_to_a_canonical_name() {
        for (alias, canonical) in ALTERNATIVE_NAMES {
            assert!(
                COUNTRIES.contains(canonical),
                "{alias} points at unknown {canonical}"
            );
        }
    }
}
