//! Successive shortest augmenting paths over candidate lists: the flow of requests to offers that
//! [`super::assign`] builds one request at a time.
//!
//! Nodes: requests `0..nr`, offers `nr..nr + no`, the sink `nr + no`. Edges: a request to each of its
//! candidate offers (cost of the pair), an offer back to each request it holds (minus that pair's
//! cost), an offer with capacity left to the sink. Node potentials keep every residual edge's reduced
//! cost `cost + π[u] − π[v]` non-negative, so each search is a Dijkstra, stopped as soon as the sink is
//! settled. Offers with capacity left keep π = 0 (their edge to the sink costs nothing); a full offer's
//! −π is what moving one of its requests elsewhere would cost.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub struct Flow {
    nr: usize,
    /// Each request's offer and the cost of the pair.
    pub matched: Vec<Option<(u32, i64)>>,
    /// Each offer's requests.
    pub holders: Vec<Vec<u32>>,
    /// Each offer's capacity left.
    pub free: Vec<u32>,
    pub potential: Vec<i64>,
    dist: Vec<i64>,
    parent: Vec<usize>,
    settled: Vec<bool>,
    touched: Vec<usize>,
    /// Nodes settled by all the searches so far.
    pub explored: usize,
}

impl Flow {
    pub fn new(requests: usize, free: Vec<u32>) -> Flow {
        let (nr, no) = (requests, free.len());
        let n = nr + no + 1;
        Flow {
            nr,
            matched: vec![None; nr],
            holders: vec![Vec::new(); no],
            free,
            potential: vec![0; n],
            dist: vec![i64::MAX; n],
            parent: vec![usize::MAX; n],
            settled: vec![false; n],
            touched: Vec::new(),
            explored: 0,
        }
    }

    /// The potential of an offer.
    pub fn offer_potential(&self, o: u32) -> i64 {
        self.potential[self.nr + o as usize]
    }

    /// Adds request `r` along one shortest augmenting path; `false` if it has none over `edges`
    /// (then [`Flow::reached`] lists the requests the search could reach).
    pub fn augment(&mut self, r: usize, edges: &[Vec<(u32, i64)>]) -> bool {
        self.search(r, edges) && {
            self.commit(r, edges);
            true
        }
    }

    /// The shortest augmenting path from the unserved request `r`, found but not taken: `false` if there
    /// is none. Until [`Flow::commit`], nothing changes but `r`'s own potential, so `r` may still be
    /// given more candidates and searched again.
    pub fn search(&mut self, r: usize, edges: &[Vec<(u32, i64)>]) -> bool {
        let nr = self.nr;
        let sink = nr + self.free.len();
        // A potential for the new request that keeps its edges' reduced costs non-negative.
        self.potential[r] = edges[r].iter().map(|&(o, c)| self.potential[nr + o as usize] - c).max().unwrap_or(0);
        for &v in &self.touched {
            self.dist[v] = i64::MAX;
            self.parent[v] = usize::MAX;
            self.settled[v] = false;
        }
        self.touched.clear();
        let mut heap = BinaryHeap::new();
        self.dist[r] = 0;
        self.touched.push(r);
        heap.push(Reverse((0i64, r)));
        let mut reached = false;
        while let Some(Reverse((d, u))) = heap.pop() {
            if self.settled[u] || d > self.dist[u] {
                continue;
            }
            self.settled[u] = true;
            self.explored += 1;
            if u == sink {
                reached = true;
                break;
            }
            if u < nr {
                // A request: to any candidate offer but the one it holds.
                let held = self.matched[u].map(|(m, _)| m);
                for &(o, c) in &edges[u] {
                    if held == Some(o) {
                        continue;
                    }
                    let v = nr + o as usize;
                    self.relax(&mut heap, u, d, v, c);
                    // An offer with capacity left at the least distance there is: the sink through it,
                    // at once (free offers keep the sink's potential, so that edge costs nothing).
                    if self.free[o as usize] > 0 && self.dist[v] == d && self.potential[v] == self.potential[sink] {
                        self.relax(&mut heap, v, d, sink, 0);
                        self.settled[v] = true;
                        self.settled[sink] = true;
                        self.explored += 2;
                        reached = true;
                        break;
                    }
                }
                if reached {
                    break;
                }
            } else {
                let o = u - nr;
                if self.free[o] > 0 {
                    self.relax(&mut heap, u, d, sink, 0);
                    // Nothing left in the heap is nearer than `d`: a sink at `d` is settled now, before
                    // the plateau of equal distances a crowded place makes is explored.
                    if self.dist[sink] == d {
                        self.settled[sink] = true;
                        self.explored += 1;
                        reached = true;
                        break;
                    }
                }
                // Back along a match: that request may move to another offer.
                for i in 0..self.holders[o].len() {
                    let h = self.holders[o][i] as usize;
                    let cost = self.matched[h].map(|(_, c)| c).unwrap_or(0);
                    self.relax(&mut heap, u, d, h, -cost);
                }
            }
        }
        reached
    }

    /// The requests the last successful [`Flow::search`] settled, with the potential each will have
    /// once the path is taken (for the searched request: minus what serving it costs at the offers'
    /// current prices). Only these potentials change.
    pub fn potentials_after(&self) -> impl Iterator<Item = (usize, i64)> + '_ {
        let total = self.dist[self.nr + self.free.len()];
        self.touched.iter().filter(|&&v| v < self.nr && self.settled[v]).map(move |&v| (v, self.potential[v] + self.dist[v] - total))
    }

    /// The reduced cost of a pair at the current potentials.
    pub fn reduced(&self, r: usize, o: u32, cost: i64) -> i64 {
        cost + self.potential[r] - self.potential[self.nr + o as usize]
    }

    /// Takes the path the last successful [`Flow::search`] from `r` found.
    pub fn commit(&mut self, r: usize, edges: &[Vec<(u32, i64)>]) {
        let nr = self.nr;
        let sink = nr + self.free.len();
        let total = self.dist[sink];
        for &v in &self.touched {
            if self.settled[v] {
                self.potential[v] += self.dist[v] - total;
            }
        }
        // Augment: walk back from the sink, re-assigning requests along the path.
        let mut v = self.parent[sink];
        self.free[v - nr] -= 1;
        loop {
            let req = self.parent[v];
            let o = (v - nr) as u32;
            let cost = edges[req].iter().find(|&&(x, _)| x == o).map(|&(_, c)| c).unwrap_or(0);
            if let Some((old, _)) = self.matched[req] {
                self.holders[old as usize].retain(|&h| h as usize != req);
            }
            self.matched[req] = Some((o, cost));
            self.holders[o as usize].push(req as u32);
            if req == r {
                return;
            }
            v = self.parent[req];
        }
    }

    fn relax(&mut self, heap: &mut BinaryHeap<Reverse<(i64, usize)>>, u: usize, d: i64, v: usize, cost: i64) {
        let reduced = cost + self.potential[u] - self.potential[v];
        debug_assert!(reduced >= 0, "negative reduced cost");
        let nd = d + reduced;
        if nd < self.dist[v] {
            if self.dist[v] == i64::MAX {
                self.touched.push(v);
            }
            self.dist[v] = nd;
            self.parent[v] = u;
            heap.push(Reverse((nd, v)));
        }
    }

    /// The requests the last failed search reached (it explores everything it can reach).
    pub fn reached(&self) -> impl Iterator<Item = usize> + '_ {
        self.touched.iter().copied().filter(|&v| v < self.nr && self.settled[v])
    }
}
