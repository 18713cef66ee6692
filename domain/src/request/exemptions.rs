//! The grounds on which an FOI request may be refused, and what a refusal notice must say (FOIA s.17).
//!
//! A refusal names the section it relies on and why it applies (s.17(1)); where the exemption is qualified
//! it also gives the reasons the public interest in withholding outweighs that in disclosing (s.17(3)); it
//! always tells the requester of the internal review and of their right to complain to the Information
//! Commissioner (s.17(7), s.50). Sections 12 and 14 are not exemptions but reasons the duty to answer does
//! not arise; a refusal for cost comes with advice on narrowing the request (s.16).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoiGround {
    /// s.12: complying would cost more than the appropriate limit.
    CostLimit,
    /// s.14(1): the request is vexatious.
    Vexatious,
    /// s.21: the information is reasonably accessible to the requester by other means.
    AccessibleElsewhere,
    /// s.22: the information is held with a view to publication at a future date.
    FuturePublication,
    /// s.36: disclosure would prejudice the effective conduct of public affairs.
    PublicAffairs,
    /// s.40(2): the information is personal data of someone other than the requester.
    PersonalData,
    /// s.41: the information was provided in confidence.
    Confidence,
    /// s.43(2): disclosure would prejudice commercial interests.
    CommercialInterests,
}

impl FoiGround {
    pub const ALL: [FoiGround; 8] = [
        FoiGround::CostLimit,
        FoiGround::Vexatious,
        FoiGround::AccessibleElsewhere,
        FoiGround::FuturePublication,
        FoiGround::PublicAffairs,
        FoiGround::PersonalData,
        FoiGround::Confidence,
        FoiGround::CommercialInterests,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FoiGround::CostLimit => "cost_limit",
            FoiGround::Vexatious => "vexatious",
            FoiGround::AccessibleElsewhere => "accessible_elsewhere",
            FoiGround::FuturePublication => "future_publication",
            FoiGround::PublicAffairs => "public_affairs",
            FoiGround::PersonalData => "personal_data",
            FoiGround::Confidence => "confidence",
            FoiGround::CommercialInterests => "commercial_interests",
        }
    }

    pub fn parse(name: &str) -> Option<FoiGround> {
        FoiGround::ALL.into_iter().find(|g| g.as_str() == name)
    }

    /// The section of the Freedom of Information Act 2000 relied on.
    pub fn section(self) -> &'static str {
        match self {
            FoiGround::CostLimit => "s.12 Freedom of Information Act 2000",
            FoiGround::Vexatious => "s.14(1) Freedom of Information Act 2000",
            FoiGround::AccessibleElsewhere => "s.21 Freedom of Information Act 2000",
            FoiGround::FuturePublication => "s.22 Freedom of Information Act 2000",
            FoiGround::PublicAffairs => "s.36 Freedom of Information Act 2000",
            FoiGround::PersonalData => "s.40(2) Freedom of Information Act 2000",
            FoiGround::Confidence => "s.41 Freedom of Information Act 2000",
            FoiGround::CommercialInterests => "s.43(2) Freedom of Information Act 2000",
        }
    }

    /// What the section provides, in a sentence for the notice.
    pub fn describe(self) -> &'static str {
        match self {
            FoiGround::CostLimit => {
                "we do not have to comply with a request when the cost of doing so would exceed the appropriate limit"
            }
            FoiGround::Vexatious => "we do not have to comply with a request that is vexatious",
            FoiGround::AccessibleElsewhere => {
                "information that is reasonably accessible to you by other means is exempt"
            }
            FoiGround::FuturePublication => {
                "information held with a view to its publication at a future date is exempt"
            }
            FoiGround::PublicAffairs => {
                "information whose disclosure would prejudice the effective conduct of public affairs is exempt"
            }
            FoiGround::PersonalData => {
                "personal data of people other than you is exempt where releasing it would breach the data protection principles"
            }
            FoiGround::Confidence => {
                "information given to us in confidence, whose disclosure would be an actionable breach of confidence, is exempt"
            }
            FoiGround::CommercialInterests => {
                "information whose disclosure would prejudice anyone's commercial interests is exempt"
            }
        }
    }

    /// A qualified exemption applies only where the public interest in withholding the information
    /// outweighs the public interest in disclosing it (s.2(2)(b)); the notice must give those reasons.
    pub fn is_qualified(self) -> bool {
        matches!(
            self,
            FoiGround::FuturePublication
                | FoiGround::PublicAffairs
                | FoiGround::CommercialInterests
        )
    }
}

/// What every refusal notice tells the requester they may do next (s.17(7)).
pub const INTERNAL_REVIEW: &str = "if you are unhappy with this answer you may ask us, within 40 working days, to review it; write to the Data Protection Officer at the address above";
pub const COMPLAINT: &str = "if you remain unhappy after the review you may complain to the Information Commissioner's Office under s.50 of the Act";
/// The advice a refusal for cost must come with (s.16).
pub const NARROWING_ADVICE: &str = "you may be able to have some of the information within the limit if you narrow your request, for example to one cycle or one country";
