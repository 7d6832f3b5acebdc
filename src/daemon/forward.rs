//! Delivery by email: for each organisation configured with `delivery = "email"`, the daemon
//! picks up its queued requests itself and puts each, encrypted to the organisation, into the
//! outbox as PGP/MIME; the sender delivers it like any reply (retried, or parked for the
//! clerks). Claim and outbox row commit together, so a request is sent once or stays queued.

use anyhow::Context;

use super::{DaemonError, Services};
use crate::config::{Config, Delivery};
use crate::crypto::recipients::Recipients;
use crate::disclosure::bundle::bundle;
use crate::request::model::Language;
use crate::store::{Actor, ReplyContent, StoreError};

/// Requests claimed per transaction.
const PER_CLAIM: u32 = 64;

/// An organisation that receives its requests by email.
pub struct EmailDelivery {
    id: String,
    name: String,
    address: String,
    recipients: Recipients,
}

/// The organisations configured for email, with their certificates loaded: a missing or
/// unusable certificate stops the daemon at start, not at the first request.
pub fn email_deliveries(config: &Config) -> anyhow::Result<Vec<EmailDelivery>> {
    config
        .organisations
        .iter()
        .filter_map(|(id, org)| match &org.delivery {
            Delivery::Email(address) => Some((id, org, address)),
            Delivery::Pickup => None,
        })
        .map(|(id, org, address)| {
            if org.certificates.is_empty() {
                anyhow::bail!("organisations.{id}: delivery by email needs certificates");
            }
            let recipients = Recipients::load(&org.certificates)
                .with_context(|| format!("organisations.{id}.certificates"))?;
            Ok(EmailDelivery {
                id: id.clone(),
                name: org.name.clone(),
                address: address.clone(),
                recipients,
            })
        })
        .collect()
}

/// Moves every queued request of the email organisations into the outbox. Returns how many.
pub fn forward_queued(services: &Services<'_>) -> Result<usize, DaemonError> {
    let mut forwarded = 0;
    if services.deliveries.is_empty() {
        return Ok(0);
    }
    for org in services.deliveries {
        loop {
            let now = crate::cli::now();
            let picked = services.rt.block_on(services.store.pick_up(
                &org.id,
                crate::store::Selection::Oldest(PER_CLAIM),
                &Actor::Daemon,
                now,
                |d| -> Result<Option<ReplyContent>, StoreError> {
                    let encrypted = org
                        .recipients
                        .encrypt_armored(&bundle(&d, &org.name, now))?;
                    Ok(Some(ReplyContent {
                        to: org.address.clone(),
                        language: Language::Fi,
                        subject: None,
                        in_reply_to: None,
                        missing: Vec::new(),
                        invalid: Vec::new(),
                        reason: None,
                        due_at: None,
                        encrypted: Some(encrypted),
                    }))
                },
                || Ok(()),
            ))?;
            forwarded += picked.len();
            for request in &picked {
                tracing::info!(reference = %request.reference, organisation = %org.id, "sent to the organisation's outbox");
            }
            if picked.len() < PER_CLAIM as usize || services.stopping() {
                break;
            }
        }
    }
    Ok(forwarded)
}
