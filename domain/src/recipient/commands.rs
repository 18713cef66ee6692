//! What an administrator asks of the register.

use super::aggregate::RecipientKind;
use crate::country::Country;

#[derive(Clone, Debug, PartialEq)]
pub enum RecipientCommand {
    RegisterRecipient {
        name: String,
        kind: RecipientKind,
        country: Country,
        represents: Option<Country>,
        located_in: Option<Country>,
    },
}
