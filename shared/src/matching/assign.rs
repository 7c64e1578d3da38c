//! The assignment of one matching run.
//!
//! Rules (docs/PRODUCT.md §4): same help type; the request within the volunteer's radius of *any* of the
//! volunteer's postal codes; for child care, no more children than the volunteer accepts and every
//! child's age range accepted; at most the offer's remaining capacity; blocked pairs never.
//!
//! Objective, in this order:
//! 1. serve as many requests as possible;
//! 2. among those, older requests first;
//! 3. among assignments serving exactly that set, prefer priority volunteers (child care: parents and
//!    experienced volunteers; groceries: volunteers who do not also offer child care), then the
//!    smallest total distance;
//! 4. deterministic: ties are broken by input order (callers sort by id).
//!
//! How: requests are taken oldest first; each is added with one shortest augmenting path in the
//! residual graph (Dijkstra with potentials, stopped as soon as the sink is settled). A request with no
//! augmenting path is left out for good — by Berge's theorem it has none later either — so the served
//! set is the greedy basis of the transversal matroid in age order: maximum cardinality, oldest first.
//! Successive shortest paths keep the assignment of minimum cost for the served set. Cost is one `i64`:
//! `priority class × 10^12 + metres`, so the class always outweighs distance (a run's distances sum to
//! far less than 10^12 m).

use crate::geo::CELL_DEG;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// Weight of one priority class step; larger than any total distance in metres.
const CLASS_WEIGHT: i64 = 1_000_000_000_000;

/// Child-care details of an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildCare {
    pub is_parent: bool,
    pub has_experience: bool,
    pub max_children: usize,
    /// Accepted age range codes.
    pub age_ranges: Vec<String>,
}

/// An open offer, as the run sees it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub id: String,
    pub help_type: String,
    /// Points (latitude, longitude) of the volunteer's postal codes (one to three).
    pub points: Vec<(f64, f64)>,
    pub radius_km: f64,
    /// Capacity left: the offer's capacity minus its active matches.
    pub free: u32,
    pub child_care: Option<ChildCare>,
    /// The same volunteer also offers child care (groceries priority).
    pub also_child_care: bool,
}

/// An open request, as the run sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: String,
    pub help_type: String,
    pub point: (f64, f64),
    pub created_at: i64,
    /// One age range code per child (child care).
    pub children: Vec<String>,
}

/// One proposed pair (indices into the inputs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub request: usize,
    pub offer: usize,
    pub distance_km: f64,
}

/// Great-circle distance (km) from the request to the nearest of the offer's points.
fn distance(offer: &Offer, request: &Request) -> f64 {
    offer.points.iter().map(|p| crate::domain::postal::haversine_km(*p, request.point)).fold(f64::INFINITY, f64::min)
}

/// 0 for the volunteers served first, then 1, 2.
fn priority_class(offer: &Offer) -> i64 {
    match &offer.child_care {
        Some(c) => 2 - i64::from(c.is_parent) - i64::from(c.has_experience),
        None => i64::from(offer.also_child_care),
    }
}

/// The rules, written plainly: the oracle the tests check the fast candidate search against.
#[cfg(test)]
fn eligible(offer: &Offer, request: &Request) -> bool {
    if offer.help_type != request.help_type || offer.free == 0 {
        return false;
    }
    match &offer.child_care {
        Some(c) => request.children.len() <= c.max_children && request.children.iter().all(|a| c.age_ranges.contains(a)),
        None => request.children.is_empty(),
    }
}

/// A bit per age range code (unknown codes share the top bit, which no offer accepts).
fn age_bit(code: &str) -> u64 {
    const CODES: [&str; 6] = ["0-1", "1-2", "3-5", "6-9", "10-12", "13+"];
    CODES.iter().position(|c| *c == code).map_or(1 << 63, |i| 1 << i)
}

fn cell(p: (f64, f64)) -> (i64, i64) {
    ((p.0 / CELL_DEG).floor() as i64, (p.1 / CELL_DEG).floor() as i64)
}

/// Candidate offers of every request, with the cost of each pair. Each offer is put in every grid cell
/// its radius can reach from any of its points, so a request reads only its own cell.
fn candidates(offers: &[Offer], requests: &[Request], blocked: &HashSet<(String, String)>, objective: Objective) -> Vec<Vec<(u32, i64)>> {
    // Blocked pairs as indices, once: the inner loop must not allocate.
    let offer_index: HashMap<&str, u32> = offers.iter().enumerate().map(|(i, o)| (o.id.as_str(), i as u32)).collect();
    let request_index: HashMap<&str, u32> = requests.iter().enumerate().map(|(i, r)| (r.id.as_str(), i as u32)).collect();
    let blocked: HashSet<(u32, u32)> =
        blocked.iter().filter_map(|(o, r)| Some((*offer_index.get(o.as_str())?, *request_index.get(r.as_str())?))).collect();
    // Per offer, once: the accepted age ranges as a bit set and the largest child count (child care).
    let ages = |list: &[String]| list.iter().fold(0u64, |m, a| m | age_bit(a));
    let accepts: Vec<Option<(u64, usize)>> =
        offers.iter().map(|o| o.child_care.as_ref().map(|c| (ages(&c.age_ranges), c.max_children))).collect();
    let mut grid: HashMap<(&str, (i64, i64)), Vec<u32>> = HashMap::new();
    for (i, o) in offers.iter().enumerate() {
        if o.free == 0 {
            continue;
        }
        let mut cells: Vec<(i64, i64)> = o.points.iter().flat_map(|p| cells_around(*p, o.radius_km)).collect();
        cells.sort_unstable();
        cells.dedup();
        for c in cells {
            grid.entry((o.help_type.as_str(), c)).or_default().push(i as u32);
        }
    }
    requests
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let mut out = Vec::new();
            let wanted = ages(&r.children);
            if let Some(list) = grid.get(&(r.help_type.as_str(), cell(r.point))) {
                for &i in list {
                    let offer = &offers[i as usize];
                    // The same rules as `eligible`, on the precomputed bit sets.
                    let fits = match accepts[i as usize] {
                        Some((mask, max)) => r.children.len() <= max && wanted & !mask == 0,
                        None => r.children.is_empty(),
                    };
                    // A degree of latitude is 111 km everywhere: most far offers fail this before any trigonometry.
                    let near = offer.points.iter().any(|p| (p.0 - r.point.0).abs() * 111.19 <= offer.radius_km);
                    if !fits || !near {
                        continue;
                    }
                    let d = distance(offer, r);
                    if d <= offer.radius_km && !blocked.contains(&(i, ri as u32)) {
                        let class = if objective.volunteer_priority { priority_class(offer) } else { 0 };
                        out.push((i, class * CLASS_WEIGHT + (d * 1000.0).round() as i64));
                    }
                }
            }
            // Input order breaks ties (deterministic whatever the hash map did).
            out.sort_unstable();
            out
        })
        .collect()
}

/// The cells a circle of `radius_km` around `p` can touch.
fn cells_around(p: (f64, f64), radius_km: f64) -> Vec<(i64, i64)> {
    let dlat = radius_km / 111.195;
    let dlon = radius_km / (111.195 * (p.0.abs() + dlat).min(89.0).to_radians().cos());
    let (a0, o0) = cell((p.0 - dlat, p.1 - dlon));
    let (a1, o1) = cell((p.0 + dlat, p.1 + dlon));
    (a0..=a1).flat_map(|a| (o0..=o1).map(move |o| (a, o))).collect()
}

/// What a run optimises after the number of requests served and their age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objective {
    /// Prefer priority volunteers before shorter distances (docs/PRODUCT.md §4). Off only to measure the
    /// distance-only optimum against the greedy baseline.
    pub volunteer_priority: bool,
}

impl Default for Objective {
    fn default() -> Self {
        Objective { volunteer_priority: true }
    }
}

/// Proposes pairs for one run. `blocked` holds `(offer id, request id)` pairs that must never be
/// proposed. Inputs should be sorted by id so that ties are broken the same way every run.
pub fn assign(offers: &[Offer], requests: &[Request], blocked: &HashSet<(String, String)>) -> Vec<Pair> {
    assign_with(offers, requests, blocked, Objective::default())
}

/// [`assign`] with an explicit objective.
pub fn assign_with(offers: &[Offer], requests: &[Request], blocked: &HashSet<(String, String)>, objective: Objective) -> Vec<Pair> {
    let cand = candidates(offers, requests, blocked, objective);
    let (nr, no) = (requests.len(), offers.len());
    // Node ids: requests 0..nr, offers nr..nr+no, sink nr+no.
    let sink = nr + no;
    let mut potential = vec![0i64; nr + no + 1];
    let mut matched: Vec<Option<(u32, i64)>> = vec![None; nr]; // request -> (offer, cost)
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); no]; // offer -> matched requests
    let mut free: Vec<u32> = offers.iter().map(|o| o.free).collect();

    let mut order: Vec<usize> = (0..nr).collect();
    order.sort_by_key(|&i| (requests[i].created_at, i));

    let mut dist = vec![i64::MAX; nr + no + 1];
    let mut parent = vec![usize::MAX; nr + no + 1];
    let mut settled = vec![false; nr + no + 1];
    let mut touched: Vec<usize> = Vec::new();

    for &r in &order {
        if cand[r].is_empty() {
            continue;
        }
        // A potential for the new request that keeps its edges' reduced costs non-negative.
        potential[r] = cand[r].iter().map(|&(o, c)| potential[nr + o as usize] - c).max().unwrap_or(0);
        for &v in &touched {
            dist[v] = i64::MAX;
            parent[v] = usize::MAX;
            settled[v] = false;
        }
        touched.clear();
        let mut heap = BinaryHeap::new();
        dist[r] = 0;
        touched.push(r);
        heap.push(Reverse((0i64, r)));
        let mut reached = false;
        while let Some(Reverse((d, u))) = heap.pop() {
            if settled[u] || d > dist[u] {
                continue;
            }
            settled[u] = true;
            if u == sink {
                reached = true;
                break;
            }
            let mut relax = |v: usize, cost: i64, heap: &mut BinaryHeap<Reverse<(i64, usize)>>| {
                let nd = d + cost + potential[u] - potential[v];
                debug_assert!(cost + potential[u] - potential[v] >= 0, "negative reduced cost");
                if nd < dist[v] {
                    if dist[v] == i64::MAX {
                        touched.push(v);
                    }
                    dist[v] = nd;
                    parent[v] = u;
                    heap.push(Reverse((nd, v)));
                }
            };
            if u < nr {
                // A request: to any candidate offer but the one it holds.
                for &(o, c) in &cand[u] {
                    if matched[u].map(|(m, _)| m) != Some(o) {
                        relax(nr + o as usize, c, &mut heap);
                    }
                }
            } else {
                let o = u - nr;
                if free[o] > 0 {
                    relax(sink, 0, &mut heap);
                }
                // Back along a match: that request may move to another offer.
                for &h in &holders[o] {
                    let cost = matched[h as usize].map(|(_, c)| c).unwrap_or(0);
                    relax(h as usize, -cost, &mut heap);
                }
            }
        }
        if !reached {
            continue;
        }
        let total = dist[sink];
        for &v in &touched {
            if settled[v] {
                potential[v] += dist[v] - total;
            }
        }
        // Augment: walk back from the sink, re-assigning requests along the path.
        let mut v = parent[sink];
        free[v - nr] -= 1;
        while v != r {
            let req = parent[v];
            let o = (v - nr) as u32;
            let cost = cand[req].iter().find(|&&(x, _)| x == o).map(|&(_, c)| c).unwrap_or(0);
            if let Some((old, _)) = matched[req] {
                holders[old as usize].retain(|&h| h as usize != req);
            }
            matched[req] = Some((o, cost));
            holders[o as usize].push(req as u32);
            if req == r {
                break;
            }
            v = parent[req];
        }
    }
    let mut pairs: Vec<Pair> = matched
        .iter()
        .enumerate()
        .filter_map(|(r, m)| {
            m.map(|(o, _)| Pair { request: r, offer: o as usize, distance_km: distance(&offers[o as usize], &requests[r]) })
        })
        .collect();
    pairs.sort_by_key(|p| p.request);
    pairs
}

/// The baseline the algorithm is measured against: requests oldest first, each to its nearest eligible
/// volunteer with capacity left.
pub fn greedy_nearest(offers: &[Offer], requests: &[Request], blocked: &HashSet<(String, String)>) -> Vec<Pair> {
    let cand = candidates(offers, requests, blocked, Objective { volunteer_priority: false });
    let mut free: Vec<u32> = offers.iter().map(|o| o.free).collect();
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by_key(|&i| (requests[i].created_at, i));
    let mut pairs = Vec::new();
    for r in order {
        let best = cand[r].iter().filter(|(o, _)| free[*o as usize] > 0).min_by(|a, b| {
            distance(&offers[a.0 as usize], &requests[r]).total_cmp(&distance(&offers[b.0 as usize], &requests[r])).then(a.0.cmp(&b.0))
        });
        if let Some(&(o, _)) = best {
            free[o as usize] -= 1;
            pairs.push(Pair { request: r, offer: o as usize, distance_km: distance(&offers[o as usize], &requests[r]) });
        }
    }
    pairs.sort_by_key(|p| p.request);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
        /// A point in a square of `spread` degrees near Paris (0.1° ≈ 11 km; 0.6° crosses grid cells).
        fn point(&mut self, spread: f64) -> (f64, f64) {
            (48.80 + self.next(1000) as f64 * spread / 1000.0, 2.30 + self.next(1000) as f64 * spread / 1000.0)
        }
    }

    const AGES: [&str; 3] = ["0-1", "3-5", "6-9"];

    fn instance(rng: &mut Lcg) -> (Vec<Offer>, Vec<Request>, HashSet<(String, String)>) {
        let help = ["groceries", "child-care"];
        let spread = if rng.next(3) == 0 { 0.6 } else { 0.1 };
        let offers: Vec<Offer> = (0..1 + rng.next(4))
            .map(|i| {
                let h = help[rng.next(2) as usize];
                Offer {
                    id: format!("o{i}"),
                    help_type: h.into(),
                    points: (0..1 + rng.next(2)).map(|_| rng.point(spread)).collect(),
                    radius_km: [2.0, 5.0, 10.0, 30.0][rng.next(4) as usize],
                    free: 1 + rng.next(2) as u32,
                    child_care: (h == "child-care").then(|| ChildCare {
                        is_parent: rng.next(2) == 0,
                        has_experience: rng.next(2) == 0,
                        max_children: 1 + rng.next(2) as usize,
                        age_ranges: AGES.iter().filter(|_| rng.next(3) > 0).map(|s| s.to_string()).collect(),
                    }),
                    also_child_care: rng.next(3) == 0,
                }
            })
            .collect();
        let requests: Vec<Request> = (0..1 + rng.next(6))
            .map(|i| {
                let h = help[rng.next(2) as usize];
                Request {
                    id: format!("r{i}"),
                    help_type: h.into(),
                    point: rng.point(spread),
                    created_at: rng.next(4) as i64,
                    children: if h == "child-care" {
                        (0..1 + rng.next(2)).map(|_| AGES[rng.next(3) as usize].to_string()).collect()
                    } else {
                        vec![]
                    },
                }
            })
            .collect();
        let mut blocked = HashSet::new();
        if rng.next(3) == 0 {
            blocked.insert((offers[0].id.clone(), requests[0].id.clone()));
        }
        (offers, requests, blocked)
    }

    /// Exhaustive: the best assignment by (served count, oldest-first served set, cost).
    /// Candidates from the plain rules, every offer against every request (no grid, no bit sets).
    fn plain_candidates(
        offers: &[Offer],
        requests: &[Request],
        blocked: &HashSet<(String, String)>,
        objective: Objective,
    ) -> Vec<Vec<(u32, i64)>> {
        requests
            .iter()
            .map(|r| {
                offers
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| eligible(o, r) && distance(o, r) <= o.radius_km && !blocked.contains(&(o.id.clone(), r.id.clone())))
                    .map(|(i, o)| {
                        let class = if objective.volunteer_priority { priority_class(o) } else { 0 };
                        (i as u32, class * CLASS_WEIGHT + (distance(o, r) * 1000.0).round() as i64)
                    })
                    .collect()
            })
            .collect()
    }

    fn brute_force(offers: &[Offer], requests: &[Request], blocked: &HashSet<(String, String)>, objective: Objective) -> (Vec<usize>, i64) {
        let cand = plain_candidates(offers, requests, blocked, objective);
        let mut rank: Vec<usize> = (0..requests.len()).collect();
        rank.sort_by_key(|&i| (requests[i].created_at, i));
        let position: Vec<usize> = (0..requests.len()).map(|r| rank.iter().position(|&x| x == r).unwrap()).collect();
        let mut best: Option<(usize, Vec<usize>, i64)> = None;
        let mut choice = vec![0usize; requests.len()];
        loop {
            let mut used = vec![0u32; offers.len()];
            let (mut cost, mut served, mut ok) = (0i64, Vec::new(), true);
            for (r, &c) in choice.iter().enumerate() {
                if c > 0 {
                    let (o, w) = cand[r][c - 1];
                    used[o as usize] += 1;
                    ok &= used[o as usize] <= offers[o as usize].free;
                    cost += w;
                    served.push(position[r]);
                }
            }
            if ok {
                served.sort_unstable();
                let better = match &best {
                    None => true,
                    Some((n, set, c)) => (Reverse(served.len()), &served, cost) < (Reverse(*n), set, *c),
                };
                if better {
                    best = Some((served.len(), served.clone(), cost));
                }
            }
            // Next combination.
            let mut i = 0;
            loop {
                if i == choice.len() {
                    let (_, set, c) = best.unwrap();
                    return (set.iter().map(|&p| rank[p]).collect(), c);
                }
                choice[i] += 1;
                if choice[i] <= cand[i].len() {
                    break;
                }
                choice[i] = 0;
                i += 1;
            }
        }
    }

    fn cost_of(pairs: &[Pair], offers: &[Offer], requests: &[Request], blocked: &HashSet<(String, String)>, objective: Objective) -> i64 {
        let cand = plain_candidates(offers, requests, blocked, objective);
        pairs.iter().map(|p| cand[p.request].iter().find(|(o, _)| *o as usize == p.offer).expect("a proposed pair is a candidate").1).sum()
    }

    #[test]
    fn the_assignment_is_optimal_on_hundreds_of_small_instances() {
        let mut rng = Lcg(7);
        let mut nontrivial = 0;
        for n in 0..600 {
            let (offers, requests, blocked) = instance(&mut rng);
            let pairs = assign(&offers, &requests, &blocked);
            assert_eq!(
                candidates(&offers, &requests, &blocked, Objective::default()),
                plain_candidates(&offers, &requests, &blocked, Objective::default()),
                "instance {n}: the fast candidate search disagrees with the plain rules"
            );
            let mut load = vec![0u32; offers.len()];
            for p in &pairs {
                load[p.offer] += 1;
                assert!(eligible(&offers[p.offer], &requests[p.request]), "instance {n}: ineligible pair");
                assert!(p.distance_km <= offers[p.offer].radius_km, "instance {n}: out of radius");
                assert!(!blocked.contains(&(offers[p.offer].id.clone(), requests[p.request].id.clone())), "instance {n}: blocked pair");
            }
            assert!(load.iter().zip(&offers).all(|(l, o)| *l <= o.free), "instance {n}: over capacity");
            for objective in [Objective::default(), Objective { volunteer_priority: false }] {
                let pairs = assign_with(&offers, &requests, &blocked, objective);
                let (mut expected_set, expected_cost) = brute_force(&offers, &requests, &blocked, objective);
                expected_set.sort_unstable();
                let got_set: Vec<usize> = pairs.iter().map(|p| p.request).collect();
                assert_eq!(got_set, expected_set, "instance {n} {objective:?}: not the best set of served requests");
                assert_eq!(
                    cost_of(&pairs, &offers, &requests, &blocked, objective),
                    expected_cost,
                    "instance {n} {objective:?}: not the cheapest assignment"
                );
            }
            assert_eq!(assign(&offers, &requests, &blocked), pairs, "instance {n}: not deterministic");
            nontrivial += usize::from(pairs.len() >= 2);
        }
        assert!(nontrivial > 100, "the instances must exercise real choices ({nontrivial})");
    }

    #[test]
    fn priorities_and_rules_on_hand_made_cases() {
        let here = (48.85, 2.35);
        let offer = |id: &str, cc: Option<ChildCare>, also: bool| Offer {
            id: id.into(),
            help_type: if cc.is_some() { "child-care" } else { "groceries" }.into(),
            points: vec![here],
            radius_km: 5.0,
            free: 1,
            child_care: cc,
            also_child_care: also,
        };
        let req = |id: &str, t: i64, children: &[&str]| Request {
            id: id.into(),
            help_type: if children.is_empty() { "groceries" } else { "child-care" }.into(),
            point: here,
            created_at: t,
            children: children.iter().map(|s| s.to_string()).collect(),
        };
        let none = HashSet::new();
        // Groceries: the volunteer who does not also mind children is proposed first.
        let offers = vec![offer("both", None, true), offer("groceries-only", None, false)];
        let p = assign(&offers, &[req("r", 0, &[])], &none);
        assert_eq!(offers[p[0].offer].id, "groceries-only");
        // Child care: a parent with experience before a volunteer with neither.
        let cc = |parent, exp| Some(ChildCare { is_parent: parent, has_experience: exp, max_children: 2, age_ranges: vec!["3-5".into()] });
        let offers = vec![offer("novice", cc(false, false), false), offer("parent", cc(true, true), false)];
        let p = assign(&offers, &[req("r", 0, &["3-5"])], &none);
        assert_eq!(offers[p[0].offer].id, "parent");
        // Too many children, or an age range not accepted: no proposal.
        assert!(assign(&offers, &[req("r", 0, &["3-5", "3-5", "3-5"])], &none).is_empty());
        assert!(assign(&offers, &[req("r", 0, &["0-1"])], &none).is_empty());
        // One volunteer, two requests: the oldest is served.
        let offers = vec![offer("only", None, false)];
        let p = assign(&offers, &[req("new", 5, &[]), req("old", 1, &[])], &none);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].request, 1);
        // A blocked pair never comes back.
        let blocked = HashSet::from([("only".to_owned(), "old".to_owned())]);
        let p = assign(&offers, &[req("new", 5, &[]), req("old", 1, &[])], &blocked);
        assert_eq!(p[0].request, 0);
        // Any of the volunteer's postal codes counts: far from the first, near the second.
        let mut two = offer("two-places", None, false);
        two.points = vec![(43.3, 5.4), here];
        assert_eq!(assign(&[two], &[req("r", 0, &[])], &none).len(), 1);
    }

    #[test]
    fn the_optimum_serves_more_than_greedy_when_greedy_blocks() {
        // Greedy gives the old request its nearest volunteer, who is the only one the new request can reach.
        let a = (48.85, 2.35);
        let b = (48.85, 2.38); // ~2.2 km east
        let offers = vec![
            Offer {
                id: "near-both".into(),
                help_type: "groceries".into(),
                points: vec![a],
                radius_km: 5.0,
                free: 1,
                child_care: None,
                also_child_care: false,
            },
            Offer {
                id: "west".into(),
                help_type: "groceries".into(),
                points: vec![(48.85, 2.33)],
                radius_km: 3.0,
                free: 1,
                child_care: None,
                also_child_care: false,
            },
        ];
        let requests = vec![
            Request { id: "old".into(), help_type: "groceries".into(), point: a, created_at: 0, children: vec![] },
            Request { id: "new".into(), help_type: "groceries".into(), point: b, created_at: 1, children: vec![] },
        ];
        let none = HashSet::new();
        assert_eq!(greedy_nearest(&offers, &requests, &none).len(), 1);
        assert_eq!(assign(&offers, &requests, &none).len(), 2);
    }
}
