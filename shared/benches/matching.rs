//! Benchmark of one matching run (not a test): synthetic offers and requests placed over France by
//! population, sizes doubling around 100,000 offers × 10,000 requests, each size in its own process so
//! its peak memory is its own. Times the assignment (each request's nearest candidates, proven optimal
//! and widened when not), checks at every size that it reaches the same optimum as the unpruned
//! algorithm over every candidate (same served requests, same cost, on both objectives; the bench fails
//! otherwise), and compares it with the greedy nearest-volunteer baseline.
//!
//! `cargo bench -p entraide-shared --bench matching` (add `-- --quick` for the small sizes only,
//! `-- --nearest K` to start from K candidates per request). Figures are in docs/PERFORMANCE.md.

use shared::matching::assign::{
    ChildCare, NEAREST, Objective, Offer, Pair, Request, assign_pruned, assign_unpruned, cost_of, greedy_nearest,
};
use std::collections::HashSet;
use std::time::Instant;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next(items.len() as u64) as usize]
    }
}

/// Postal codes with a point, and a sampler proportional to their population.
struct France {
    points: Vec<((f64, f64), String)>,
    cumulative: Vec<u64>,
}

impl France {
    fn load() -> France {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let pop: std::collections::HashMap<String, u64> = std::fs::read_to_string(format!("{dir}/fr-postal-population.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let (cp, n) = l.split_once(',').unwrap();
                (cp.to_owned(), n.parse().unwrap())
            })
            .collect();
        let mut points = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0;
        for line in std::fs::read_to_string(format!("{dir}/fr-postal-codes.csv")).unwrap().lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (Ok(lat), Ok(lon)) = (f[1].parse::<f64>(), f[2].parse::<f64>()) else { continue };
            total += pop.get(f[0]).copied().unwrap_or(0);
            points.push(((lat, lon), f[3].to_owned()));
            cumulative.push(total);
        }
        France { points, cumulative }
    }

    fn sample(&self, rng: &mut Lcg) -> (f64, f64) {
        let x = rng.next(*self.cumulative.last().unwrap());
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.points[i].0
    }
}

const AGES: [&str; 6] = ["0-1", "1-2", "3-5", "6-9", "10-12", "13+"];

fn inputs(france: &France, offers: usize, requests: usize, seed: u64) -> (Vec<Offer>, Vec<Request>) {
    let mut rng = Lcg(seed);
    let offers: Vec<Offer> = (0..offers)
        .map(|i| {
            let child = rng.next(2) == 0;
            let mut points = vec![france.sample(&mut rng)];
            if rng.next(5) == 0 {
                points.push(france.sample(&mut rng)); // a second place: work, often elsewhere
            }
            Offer {
                id: format!("o{i:07}"),
                help_type: if child { "child-care" } else { "groceries" }.into(),
                points,
                radius_km: *rng.pick(&[2.0, 5.0, 5.0, 5.0, 5.0, 5.0, 10.0, 10.0, 20.0, 50.0]),
                free: *rng.pick(&[1, 1, 1, 1, 1, 1, 1, 1, 2, 3]),
                child_care: child.then(|| ChildCare {
                    is_parent: rng.next(2) == 0,
                    has_experience: rng.next(3) == 0,
                    max_children: 1 + rng.next(3) as usize,
                    age_ranges: AGES.iter().filter(|_| rng.next(4) > 0).map(|s| s.to_string()).collect(),
                }),
                also_child_care: !child && rng.next(4) == 0,
            }
        })
        .collect();
    let requests: Vec<Request> = (0..requests)
        .map(|i| {
            let child = rng.next(2) == 0;
            Request {
                id: format!("r{i:07}"),
                help_type: if child { "child-care" } else { "groceries" }.into(),
                point: france.sample(&mut rng),
                created_at: rng.next(30 * 86_400) as i64,
                children: if child { (0..1 + rng.next(2)).map(|_| rng.pick(&AGES).to_string()).collect() } else { vec![] },
            }
        })
        .collect();
    (offers, requests)
}

fn status(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn total_km(pairs: &[Pair]) -> f64 {
    pairs.iter().map(|p| p.distance_km).sum()
}

/// The served requests and the objective's cost: what "the same optimum" means (pairs may differ
/// between volunteers at the same distance and class).
fn outcome(pairs: &[Pair], o: &[Offer], r: &[Request], objective: Objective) -> (Vec<usize>, i64) {
    (pairs.iter().map(|p| p.request).collect(), cost_of(pairs, o, r, objective))
}

/// One size, in this process: prints one tab-separated line.
fn run_one(offers: usize, requests: usize, nearest: usize) {
    let france = France::load();
    let (o, r) = inputs(&france, offers, requests, 2026);
    let blocked = HashSet::new();
    let objective = Objective::default();
    let input_kib = status("VmRSS:");
    // Reset the peak so it measures the run, not the input generation (Linux ≥ 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut times = Vec::new();
    let (mut pairs, mut proof) = (Vec::new(), Default::default());
    for _ in 0..5 {
        let t = Instant::now();
        (pairs, proof) = assign_pruned(&o, &r, &blocked, objective, nearest);
        times.push(t.elapsed().as_secs_f64());
    }
    let peak_kib = status("VmHWM:");
    times.sort_by(f64::total_cmp);
    // The proof against the unpruned algorithm, on both objectives.
    let t = Instant::now();
    let reference = assign_unpruned(&o, &r, &blocked, objective);
    let unpruned_s = t.elapsed().as_secs_f64();
    assert_eq!(outcome(&pairs, &o, &r, objective), outcome(&reference, &o, &r, objective), "pruned and unpruned optima differ");
    let distance = Objective { volunteer_priority: false };
    let (distance_only, _) = assign_pruned(&o, &r, &blocked, distance, nearest);
    let reference = assign_unpruned(&o, &r, &blocked, distance);
    assert_eq!(outcome(&distance_only, &o, &r, distance), outcome(&reference, &o, &r, distance), "pruned and unpruned optima differ");
    let t = Instant::now();
    let greedy = greedy_nearest(&o, &r, &blocked);
    let greedy_s = t.elapsed().as_secs_f64();
    println!(
        "{offers}\t{requests}\t{:.3}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.3}\t{}\t{:.0}\t{}\t{:.0}\t{}\t{:.0}\t{:.3}",
        times[times.len() / 2],
        input_kib / 1024,
        peak_kib / 1024,
        proof.rounds,
        proof.widened_to_serve + proof.widened_for_cost,
        proof.edges,
        proof.settled,
        unpruned_s,
        pairs.len(),
        total_km(&pairs),
        distance_only.len(),
        total_km(&distance_only),
        greedy.len(),
        total_km(&greedy),
        greedy_s
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `--nearest K`: how many nearest candidates each request starts with (the library's default if not given).
    let nearest = args.iter().position(|a| a == "--nearest").map_or(NEAREST, |i| args[i + 1].parse().unwrap());
    if let Some(i) = args.iter().position(|a| a == "--one") {
        run_one(args[i + 1].parse().unwrap(), args[i + 2].parse().unwrap(), nearest);
        return;
    }
    let sizes: &[(usize, usize)] = if args.iter().any(|a| a == "--quick") {
        &[(12_500, 1_250), (25_000, 2_500)]
    } else {
        &[(25_000, 2_500), (50_000, 5_000), (100_000, 10_000), (200_000, 20_000)]
    };
    println!(
        "| offers | requests | run time (median of 5) | RSS with inputs | peak RSS during the runs | rounds | candidates added | candidate pairs kept | nodes settled | unpruned time (same optimum) | served | total km | served, distance only | total km, distance only | greedy served | greedy total km | greedy time |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    for &(o, r) in sizes {
        let out = std::process::Command::new(&exe)
            .args(["--one", &o.to_string(), &r.to_string(), "--nearest", &nearest.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8(out.stdout).unwrap();
        let f: Vec<&str> = line.trim().split('\t').collect();
        println!(
            "| {} | {} | {} s | {} MiB | {} MiB | {} | {} | {} | {} | {} s | {} | {} | {} | {} | {} | {} | {} s |",
            f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15], f[16]
        );
    }
}
