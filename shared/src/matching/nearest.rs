//! The nearest offers of a request, without looking at the far ones: a k-d tree over the places
//! offers are at (a *site*: one point and every offer there, since offers sit at postal-code points and
//! hundreds share one in a city). Each site is a unit vector, so that a box's distance to the request is
//! a true lower bound of the great-circle distance to anything inside it, and each box knows the largest
//! radius of the offers in it: a box farther than that holds no offer that can reach the request.
//!
//! The tree only orders and prunes; whether an offer is a candidate (the rules, the exact distance,
//! blocked pairs) is the caller's `accept`, given what the caller stored with each offer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

const EARTH_KM: f64 = 6371.0;
const LEAF: usize = 8;

pub fn unit((lat, lon): (f64, f64)) -> [f64; 3] {
    let (p, l) = (lat.to_radians(), lon.to_radians());
    [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
}

/// One point and the offers there.
#[derive(Debug)]
pub struct Site {
    at: [f64; 3],
    pub point: (f64, f64),
    /// The largest radius (km) of the offers here.
    reach_km: f64,
    start: u32,
    end: u32,
}

#[derive(Debug)]
struct Node {
    lo: [f64; 3],
    hi: [f64; 3],
    /// The largest radius (km) of the offers in this box.
    reach_km: f64,
    /// Children, or `None` for a leaf holding `sites[start..end]`.
    kids: Option<(u32, u32)>,
    start: u32,
    end: u32,
}

/// Offers by site, each with what the caller stored with it (`T`).
#[derive(Debug)]
pub struct Tree<T> {
    nodes: Vec<Node>,
    sites: Vec<Site>,
    offers: Vec<(u32, T)>,
}

impl<T: Copy> Tree<T> {
    /// One `(point, offer, data)` per point of each offer; `radius_km` of an offer's data bounds where
    /// it can reach.
    pub fn build(mut points: Vec<((f64, f64), u32, T)>, radius_km: impl Fn(&T) -> f64) -> Tree<T> {
        points.sort_unstable_by_key(|a| (a.0.0.to_bits(), a.0.1.to_bits(), a.1));
        let mut sites: Vec<Site> = Vec::new();
        let mut offers = Vec::with_capacity(points.len());
        for (i, (point, offer, data)) in points.into_iter().enumerate() {
            match sites.last_mut() {
                Some(s) if s.point.0.to_bits() == point.0.to_bits() && s.point.1.to_bits() == point.1.to_bits() => {
                    s.end += 1;
                    s.reach_km = s.reach_km.max(radius_km(&data));
                }
                _ => sites.push(Site { at: unit(point), point, reach_km: radius_km(&data), start: i as u32, end: i as u32 + 1 }),
            }
            offers.push((offer, data));
        }
        let mut tree = Tree { nodes: Vec::new(), sites, offers };
        if !tree.sites.is_empty() {
            let n = tree.sites.len();
            tree.node(0, n);
        }
        tree
    }

    fn node(&mut self, start: usize, end: usize) -> u32 {
        let slice = &mut self.sites[start..end];
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        let mut reach_km = 0f64;
        for s in slice.iter() {
            for a in 0..3 {
                lo[a] = lo[a].min(s.at[a]);
                hi[a] = hi[a].max(s.at[a]);
            }
            reach_km = reach_km.max(s.reach_km);
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node { lo, hi, reach_km, kids: None, start: start as u32, end: end as u32 });
        if end - start > LEAF {
            let axis = (0..3).max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b]))).unwrap_or(0);
            let mid = (end - start) / 2;
            slice.select_nth_unstable_by(mid, |x, y| x.at[axis].total_cmp(&y.at[axis]));
            let left = self.node(start, start + mid);
            let right = self.node(start + mid, end);
            self.nodes[id as usize].kids = Some((left, right));
        }
        id
    }

    fn lower_bound_km(&self, n: u32, q: [f64; 3]) -> f64 {
        let node = &self.nodes[n as usize];
        let sq: f64 = (0..3)
            .map(|a| {
                let d = (node.lo[a] - q[a]).max(q[a] - node.hi[a]).max(0.0);
                d * d
            })
            .sum();
        // Chord → arc; a hair less, so that rounding never makes the bound exceed the true distance.
        (2.0 * EARTH_KM * (sq.sqrt() / 2.0).min(1.0).asin() - 1e-6).max(0.0)
    }
}

/// What a search found: the cheapest accepted offers (metres), and a lower bound of the cost of every
/// accepted offer it left out (`None`: it left none out).
pub struct Found {
    pub offers: Vec<(u32, i64)>,
    pub left_out_from: Option<i64>,
}

/// The `want` accepted offers of least cost in metres around `q`, only those costing less than `below`
/// if given. Among offers at equal cost, which are kept depends on `salt`: requests near one another,
/// given different salts, do not all get the same few of the volunteers of a crowded place.
///
/// `site_km` is the distance from `q` to a site's point; `accept` gives an offer's cost from its data
/// and the distance to the site it is found at, or `None` if it is no candidate. An offer with several
/// points is found at each of them: `accept` must count it once, at its true (nearest) distance.
pub fn cheapest<T: Copy>(
    tree: &Tree<T>,
    q: (f64, f64),
    want: usize,
    below: Option<i64>,
    salt: u64,
    site_km: impl Fn((f64, f64)) -> f64,
    mut accept: impl FnMut(u32, &T, f64) -> Option<i64>,
) -> Found {
    let mut best: BinaryHeap<(i64, u64, u32)> = BinaryHeap::new();
    let mut left_out = false;
    if want == 0 {
        return Found { offers: Vec::new(), left_out_from: (!tree.sites.is_empty()).then_some(0) };
    }
    let qu = unit(q);
    let mut boxes = BinaryHeap::new();
    if !tree.nodes.is_empty() {
        boxes.push(Reverse((tree.lower_bound_km(0, qu).to_bits(), 0u32)));
    }
    // Boxes nearest first (the bits of a non-negative `f64` order as the numbers do).
    while let Some(Reverse((bits, n))) = boxes.pop() {
        let lb_km = f64::from_bits(bits);
        let node = &tree.nodes[n as usize];
        if lb_km > node.reach_km {
            continue;
        }
        // Every offer in this box (and the boxes after it) costs at least this many rounded metres.
        let least = (lb_km * 1000.0 - 0.5 - 1e-6).ceil() as i64;
        if below.is_some_and(|b| least >= b) {
            break;
        }
        // Those in the boxes not opened cost at least the dearest kept: the bound holds.
        if best.len() == want && best.peek().is_some_and(|&(m, _, _)| least >= m) {
            left_out = true;
            break;
        }
        if let Some((l, r)) = node.kids {
            for k in [l, r] {
                boxes.push(Reverse((tree.lower_bound_km(k, qu).to_bits(), k)));
            }
            continue;
        }
        for site in &tree.sites[node.start as usize..node.end as usize] {
            let km = site_km(site.point);
            if km > site.reach_km {
                continue;
            }
            // What an offer with only this point costs here (one with another, nearer point is also
            // found there, at its true cost).
            let here = (km * 1000.0).round() as i64;
            let full = |best: &BinaryHeap<(i64, u64, u32)>| best.len() == want && best.peek().is_some_and(|&(m, _, _)| here >= m);
            if full(&best) {
                left_out = true;
                continue;
            }
            // From a place of its own in the list, so that requests near one another do not all take
            // the same first few of a crowded site.
            let offers = &tree.offers[site.start as usize..site.end as usize];
            let from = (mix(salt) % offers.len() as u64) as usize;
            for (offer, data) in offers[from..].iter().chain(&offers[..from]) {
                let Some(m) = accept(*offer, data, km) else { continue };
                if below.is_some_and(|b| m >= b) {
                    continue;
                }
                best.push((m, mix(u64::from(*offer) ^ salt.rotate_left(32)), *offer));
                if best.len() > want {
                    best.pop();
                    left_out = true;
                }
                if full(&best) {
                    left_out = true;
                    break;
                }
            }
        }
    }
    let left_out_from = if left_out { best.peek().map(|&(m, _, _)| m) } else { None };
    Found { offers: best.into_iter().map(|(m, _, o)| (o, m)).collect(), left_out_from }
}

/// A 64-bit finaliser (splitmix64): a fixed, well-spread order among equals.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::postal::haversine_km;

    #[test]
    fn the_k_cheapest_are_those_a_full_scan_finds() {
        let mut seed = 11u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..40 {
            // Points on a coarse lattice, so that many offers share a site.
            let points: Vec<(f64, f64)> =
                (0..1 + next(300)).map(|_| (43.0 + next(20) as f64 * 0.1, -1.0 + next(20) as f64 * 0.1)).collect();
            let radius: Vec<f64> = points.iter().map(|_| [2.0, 5.0, 20.0, 50.0][next(4) as usize]).collect();
            let tree = Tree::build(points.iter().enumerate().map(|(i, p)| (*p, i as u32, radius[i])).collect(), |r| *r);
            let q = (43.0 + next(1000) as f64 * 0.002, -1.0 + next(1000) as f64 * 0.002);
            let cost = |o: u32| {
                let d = haversine_km(points[o as usize], q);
                (d <= radius[o as usize] && !o.is_multiple_of(5)).then(|| (d * 1000.0).round() as i64)
            };
            let km = |p: (f64, f64)| haversine_km(p, q);
            let accept = |o: u32, r: &f64, d: f64| (d <= *r && !o.is_multiple_of(5)).then(|| (d * 1000.0).round() as i64);
            let mut all: Vec<(i64, u32)> = (0..points.len() as u32).filter_map(|o| cost(o).map(|m| (m, o))).collect();
            all.sort_unstable();
            for want in [1, 3, 8, usize::MAX] {
                let found = cheapest(&tree, q, want, None, round, km, accept);
                let mut got: Vec<(i64, u32)> = found.offers.iter().map(|&(o, m)| (m, o)).collect();
                got.sort_unstable();
                let n = want.min(all.len());
                // The same costs as the k cheapest of the full scan (ties may pick other offers).
                assert_eq!(
                    got.iter().map(|x| x.0).collect::<Vec<_>>(),
                    all[..n].iter().map(|x| x.0).collect::<Vec<_>>(),
                    "round {round}, k {want}"
                );
                match found.left_out_from {
                    None => assert_eq!(got.len(), all.len(), "round {round}, k {want}: said complete"),
                    Some(b) => {
                        for x in all.iter().filter(|x| !got.contains(x)) {
                            assert!(x.0 >= b, "round {round}, k {want}: a left-out offer is cheaper than the bound");
                        }
                    }
                }
            }
            let b = all.get(all.len() / 2).map_or(1000, |x| x.0);
            let found = cheapest(&tree, q, usize::MAX, Some(b), 0, km, accept);
            assert_eq!(found.offers.len(), all.iter().filter(|x| x.0 < b).count(), "round {round}: below {b}");
        }
    }
}
