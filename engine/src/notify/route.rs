//! Routing and throttling: which routes an alert goes to, and whether it is mailed now or waits
//! for the route's digest.
//!
//! Every alert a route takes is reported exactly once, either in an immediate mail or in a digest,
//! so the counts people read add up to what happened. Per route:
//! - below `immediate_level`: into the digest;
//! - the same rule and group values (the alert's suppression key) already mailed within
//!   `suppress_for`: into the digest, counted as a repeat;
//! - `max_per_hour` immediate mails already sent in the last hour: into the digest, counted as over
//!   the cap;
//! - otherwise: mailed now.
//!
//! So a route sends at most `max_per_hour` immediate mails plus one digest per `digest_every` in
//! any hour, however many alerts arrive. The state is plain data, checkpointed with the position
//! in the alert log it belongs to; time is passed in, never read here.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use canhgac_rules::Alert;
use cidr::IpCidr;
use serde::{Deserialize, Serialize};

use super::config::{NotifyConfig, RouteConfig};
use crate::index::level_rank;

/// Distinct (rule, group values) listed in one digest; beyond it, alerts are only counted.
pub const DIGEST_MAX_ENTRIES: usize = 200;

const HOUR_MICROS: i64 = 3_600_000_000;

/// Why an alert waits for the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// Below the route's `immediate_level`.
    BelowLevel,
    /// A repeat of an alert mailed within `suppress_for`.
    Repeat,
    /// The route's `max_per_hour` was reached.
    OverCap,
}

/// Alerts of one rule and group values waiting for a digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigestEntry {
    /// The first of them (what the digest shows).
    pub alert: Alert,
    /// How many alerts.
    pub alerts: u64,
    /// How many events they cover (the sum of their counts).
    pub events: u64,
    /// Latest event time among them.
    pub last_ts: String,
    /// Why they were held: below level, repeats, over the cap (alert counts).
    pub below_level: u64,
    /// See [`DigestEntry::below_level`].
    pub repeats: u64,
    /// See [`DigestEntry::below_level`].
    pub over_cap: u64,
}

/// One route's throttling state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RouteState {
    /// When each suppression key was last mailed (µs).
    pub last_mailed: BTreeMap<String, i64>,
    /// Times of immediate mails in the last hour (µs).
    pub sent: VecDeque<i64>,
    /// What the next digest lists, by suppression key.
    pub digest: BTreeMap<String, DigestEntry>,
    /// Alerts beyond [`DIGEST_MAX_ENTRIES`] keys: counted only.
    pub digest_more_alerts: u64,
    /// Events of those.
    pub digest_more_events: u64,
    /// When the current digest period began (µs); `None` until the route first holds an alert.
    pub digest_since: Option<i64>,
    /// Digests sent so far (numbers them, and so their mail ids).
    pub digests_sent: u64,
}

/// What the router decided for one alert on one route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Mail it now.
    Immediate,
    /// Keep it for the digest.
    Digest(Held),
}

/// A route with its filters compiled.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its settings.
    pub config: RouteConfig,
    networks: Vec<IpCidr>,
    min_rank: u64,
    immediate_rank: u64,
}

impl Route {
    /// Compiles a checked route.
    pub fn new(config: RouteConfig) -> Route {
        Route {
            networks: config.networks(),
            min_rank: level_rank(&config.min_level),
            immediate_rank: level_rank(&config.immediate_level),
            config,
        }
    }

    /// Whether the route's filters accept the alert (`department` is the alert's asset group).
    pub fn accepts(&self, alert: &Alert, department: Option<&str>) -> bool {
        let c = &self.config;
        level_rank(&alert.level) >= self.min_rank
            && (c.tags.is_empty() || alert.tags.iter().any(|t| c.tags.contains(t)))
            && (c.rules.is_empty() || c.rules.contains(&alert.rule_id))
            && (c.groups.is_empty() || department.is_some_and(|d| c.groups.iter().any(|g| g == d)))
            && (self.networks.is_empty()
                || addresses(alert).any(|ip| self.networks.iter().any(|n| n.contains(&ip))))
    }

    fn immediate(&self, alert: &Alert) -> bool {
        level_rank(&alert.level) >= self.immediate_rank
    }
}

/// The addresses an alert involves: its evidence's host, source and destination, and group-by
/// values that are addresses.
fn addresses(alert: &Alert) -> impl Iterator<Item = IpAddr> + '_ {
    alert
        .evidence
        .iter()
        .flat_map(|e| [&e.host, &e.src_ip, &e.dst_ip])
        .filter_map(|v| v.as_deref())
        .chain(alert.group_by.values().map(String::as_str))
        .filter_map(|v| v.parse().ok())
}

/// The department of an alert: the asset group of its first evidence event.
pub fn department(alert: &Alert) -> Option<&str> {
    alert.evidence.iter().find_map(|e| e.asset_group.as_deref())
}

/// The routes an alert goes to: every non-default route that accepts it, or else the default
/// routes that do.
pub fn select(routes: &[Route], alert: &Alert) -> Vec<usize> {
    let dept = department(alert);
    let chosen: Vec<usize> = (0..routes.len())
        .filter(|&i| !routes[i].config.default && routes[i].accepts(alert, dept))
        .collect();
    if !chosen.is_empty() {
        return chosen;
    }
    (0..routes.len())
        .filter(|&i| routes[i].config.default && routes[i].accepts(alert, dept))
        .collect()
}

/// Compiles the configured routes.
pub fn routes(config: &NotifyConfig) -> Vec<Route> {
    config.routes.iter().cloned().map(Route::new).collect()
}

impl RouteState {
    /// Decides for an alert the route accepted, at `now` (µs), and records the decision.
    pub fn decide(&mut self, route: &Route, alert: &Alert, now: i64) -> Decision {
        let key = alert.suppression_key();
        let held =
            if !route.immediate(alert) {
                Some(Held::BelowLevel)
            } else if self.last_mailed.get(&key).is_some_and(|&t| {
                now.saturating_sub(t) < route.config.suppress_for.as_micros() as i64
            }) {
                Some(Held::Repeat)
            } else {
                while self
                    .sent
                    .front()
                    .is_some_and(|&t| now.saturating_sub(t) >= HOUR_MICROS)
                {
                    self.sent.pop_front();
                }
                (self.sent.len() >= route.config.max_per_hour as usize).then_some(Held::OverCap)
            };
        match held {
            None => {
                self.last_mailed.insert(key, now);
                self.sent.push_back(now);
                Decision::Immediate
            }
            Some(why) => {
                self.hold(key, alert, why, now);
                Decision::Digest(why)
            }
        }
    }

    fn hold(&mut self, key: String, alert: &Alert, why: Held, now: i64) {
        self.digest_since.get_or_insert(now);
        let events = alert.count as u64;
        let room = self.digest.len() < DIGEST_MAX_ENTRIES;
        match self.digest.get_mut(&key) {
            Some(entry) => {
                entry.alerts += 1;
                entry.events += events;
                if alert.last_ts > entry.last_ts {
                    entry.last_ts.clone_from(&alert.last_ts);
                }
                entry.count(why);
            }
            None if room => {
                let mut entry = DigestEntry {
                    alert: alert.clone(),
                    alerts: 1,
                    events,
                    last_ts: alert.last_ts.clone(),
                    below_level: 0,
                    repeats: 0,
                    over_cap: 0,
                };
                entry.count(why);
                self.digest.insert(key, entry);
            }
            None => {
                self.digest_more_alerts += 1;
                self.digest_more_events += events;
            }
        }
    }

    /// Whether the digest is due at `now`.
    pub fn digest_due(&self, route: &Route, now: i64) -> bool {
        self.digest_since.is_some_and(|since| {
            now.saturating_sub(since) >= route.config.digest_every.as_micros() as i64
        })
    }

    /// Takes what the digest lists, starting a new period.
    pub fn take_digest(&mut self) -> Digest {
        self.digests_sent += 1;
        Digest {
            number: self.digests_sent,
            since: self.digest_since.take().unwrap_or_default(),
            entries: std::mem::take(&mut self.digest).into_values().collect(),
            more_alerts: std::mem::take(&mut self.digest_more_alerts),
            more_events: std::mem::take(&mut self.digest_more_events),
        }
    }

    /// Forgets suppression keys whose window has passed (bounds the state).
    pub fn prune(&mut self, route: &Route, now: i64) {
        let window = route.config.suppress_for.as_micros() as i64;
        self.last_mailed
            .retain(|_, &mut t| now.saturating_sub(t) < window);
        while self
            .sent
            .front()
            .is_some_and(|&t| now.saturating_sub(t) >= HOUR_MICROS)
        {
            self.sent.pop_front();
        }
    }
}

impl DigestEntry {
    fn count(&mut self, why: Held) {
        match why {
            Held::BelowLevel => self.below_level += 1,
            Held::Repeat => self.repeats += 1,
            Held::OverCap => self.over_cap += 1,
        }
    }
}

/// A digest taken from a route's state.
#[derive(Debug, Clone)]
pub struct Digest {
    /// 1, 2, ... per route.
    pub number: u64,
    /// Start of its period (µs).
    pub since: i64,
    /// Its entries, by suppression key order.
    pub entries: Vec<DigestEntry>,
    /// Alerts beyond the listed entries.
    pub more_alerts: u64,
    /// Events of those.
    pub more_events: u64,
}

impl Digest {
    /// Alerts it reports in all.
    pub fn alerts(&self) -> u64 {
        self.entries.iter().map(|e| e.alerts).sum::<u64>() + self.more_alerts
    }

    /// Events it reports in all.
    pub fn events(&self) -> u64 {
        self.entries.iter().map(|e| e.events).sum::<u64>() + self.more_events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::config::parse_duration;

    fn route(toml_text: &str) -> Route {
        #[derive(Deserialize)]
        struct One {
            route: RouteConfig,
        }
        let one: One = toml::from_str(toml_text).expect("route config");
        Route::new(one.route)
    }

    fn alert(level: &str, src: &str, group: Option<&str>) -> Alert {
        let mut a: Alert = serde_json::from_value(serde_json::json!({
            "id": format!("{level}{src}"),
            "rule_id": "r-ssh-fail",
            "title": "SSH failed password",
            "level": level,
            "tags": ["attack.credential_access", "attack.t1110"],
            "first_ts": "2026-10-05T01:00:00Z",
            "last_ts": "2026-10-05T01:00:00Z",
            "count": 3,
            "evidence": [{"ts": "2026-10-05T01:00:00Z", "host": "10.20.1.5", "src_ip": src,
                          "source_type": "linux_auth", "raw": "x"}],
        }))
        .expect("alert");
        a.evidence[0].asset_group = group.map(str::to_owned);
        a
    }

    #[test]
    fn filters_and_default_route() {
        let routes = vec![
            route("[route]\nname='syt'\nto=['it@syt.vn']\ngroups=['syt']\nmin_level='medium'"),
            route(
                "[route]\nname='dc'\nto=['noc@dc.vn']\nhosts=['10.20.0.0/16']\ntags=['attack.t1110']",
            ),
            route("[route]\nname='soc'\nto=['soc@dc.vn']\ndefault=true"),
        ];
        assert_eq!(
            select(&routes, &alert("high", "1.2.3.4", Some("syt"))),
            vec![0, 1]
        );
        // Low level fails `syt`'s min_level; the address still matches `dc`.
        assert_eq!(
            select(&routes, &alert("low", "1.2.3.4", Some("syt"))),
            vec![1]
        );
        let mut elsewhere = alert("high", "1.2.3.4", Some("stc"));
        elsewhere.evidence[0].host = Some("172.16.0.9".into());
        assert_eq!(select(&routes, &elsewhere), vec![2], "nothing else took it");
        // The source address counts as an address of the alert too.
        elsewhere.evidence[0].src_ip = Some("10.20.9.9".into());
        assert_eq!(select(&routes, &elsewhere), vec![1]);
    }

    #[test]
    fn a_flood_makes_one_mail_and_a_digest_with_the_true_count() {
        let r =
            route("[route]\nname='soc'\nto=['soc@dc.vn']\nsuppress_for='1h'\ndigest_every='5m'");
        let mut state = RouteState::default();
        let a = alert("high", "185.220.101.7", None);
        let mut immediate = 0;
        for i in 0..10_000i64 {
            if state.decide(&r, &a, i * 6_000) == Decision::Immediate {
                immediate += 1;
            }
        }
        assert_eq!(immediate, 1);
        assert!(!state.digest_due(&r, 60_000_000));
        assert!(state.digest_due(&r, 301_000_000));
        let digest = state.take_digest();
        assert_eq!((digest.alerts(), digest.events()), (9_999, 29_997));
        assert_eq!(digest.entries[0].repeats, 9_999);
    }

    #[test]
    fn the_hourly_cap_holds_and_counts_the_overflow() {
        let r = route("[route]\nname='soc'\nto=['soc@dc.vn']\nmax_per_hour=3");
        let mut state = RouteState::default();
        let decisions: Vec<Decision> = (0..10)
            .map(|i| state.decide(&r, &alert("critical", &format!("203.0.113.{i}"), None), i))
            .collect();
        assert_eq!(
            decisions
                .iter()
                .filter(|d| **d == Decision::Immediate)
                .count(),
            3
        );
        assert_eq!(
            state
                .take_digest()
                .entries
                .iter()
                .map(|e| e.over_cap)
                .sum::<u64>(),
            7
        );
        // An hour later the cap has room again.
        let later = HOUR_MICROS + 10;
        assert_eq!(
            state.decide(&r, &alert("critical", "198.51.100.1", None), later),
            Decision::Immediate
        );
        assert_eq!(
            parse_duration("1h").map(|d| d.as_micros() as i64),
            Ok(HOUR_MICROS)
        );
    }

    #[test]
    fn digest_entries_are_bounded_but_every_alert_is_counted() {
        let r = route("[route]\nname='soc'\nto=['soc@dc.vn']\nimmediate_level='critical'");
        let mut state = RouteState::default();
        for i in 0..(DIGEST_MAX_ENTRIES + 50) {
            let a = alert("medium", &format!("10.{}.{}.1", i / 250, i % 250), None);
            assert_eq!(state.decide(&r, &a, 0), Decision::Digest(Held::BelowLevel));
        }
        let digest = state.take_digest();
        assert_eq!(digest.entries.len(), DIGEST_MAX_ENTRIES);
        assert_eq!(digest.alerts(), (DIGEST_MAX_ENTRIES + 50) as u64);
    }
}
