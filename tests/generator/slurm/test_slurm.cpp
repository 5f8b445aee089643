// The Slurm side's pure parts: time limits, array index lists, cutting a grid into arrays
// under MaxArraySize, the job table, squeue/sacct parsing, and the scripts emit_slurm writes.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "generator/calibrate.hpp"
#include "generator/cost.hpp"
#include "generator/emit.hpp"
#include "generator/slurm.hpp"
#include "generator/slurm_halving.hpp"
#include "generator/slurm_jobs.hpp"
#include "generator/slurm_requests.hpp"

#include <cmath>
#include <numeric>

using namespace hps::slurm;

namespace {
// a jobs.tsv row with the fields a case sets, the others left at job_record's defaults
// (member by member: a field added to job_record needs no change here)
job_record job(int submission, std::string id, std::string kind, std::vector<std::size_t> tasks, std::string build,
               std::size_t rung = 0, std::vector<std::size_t> points = {}, std::size_t bracket = 0) {
    job_record j;
    j.submission = submission;
    j.job = std::move(id);
    j.kind = std::move(kind);
    j.tasks = std::move(tasks);
    j.build = std::move(build);
    j.rung = rung;
    j.points = std::move(points);
    j.bracket = bracket;
    return j;
}
}  // namespace

TEST_CASE("Slurm time limits") {
    CHECK(parse_time("30") == 1800);
    CHECK(parse_time("10:30") == 630);
    CHECK(parse_time("10:00:00") == 36000);
    CHECK(parse_time("2-00:00:00") == 172800);
    CHECK(parse_time("1-2") == 93600);
    CHECK(parse_time("1-2:30") == 95400);
    CHECK_FALSE(parse_time(""));
    CHECK_FALSE(parse_time("10h"));
    CHECK_FALSE(parse_time("1:2:3:4"));
    CHECK(format_time(600) == "00:10:00");
    CHECK(format_time(90061) == "1-01:01:01");
    // the warning: 300 s, or a tenth of a shorter limit, at least 30 s
    CHECK(warning_seconds("10:00:00") == 300);
    CHECK(warning_seconds("00:10:00") == 60);
    CHECK(warning_seconds("1") == 30);
    CHECK(warning_seconds("") == 300);
}

TEST_CASE("array index lists") {
    CHECK(index_list({}) == "");
    CHECK(index_list({3}) == "3");
    CHECK(index_list({0, 1, 2, 3, 7, 9, 10}) == "0-3,7,9-10");
    CHECK(parse_index_list("0-3,7,9-10%4") == std::vector<std::size_t>{0, 1, 2, 3, 7, 9, 10});
    CHECK(parse_index_list("5,1,1") == std::vector<std::size_t>{1, 5});
    CHECK_THROWS_AS(parse_index_list("3-1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_index_list("a"), std::invalid_argument);
}

TEST_CASE("a grid larger than MaxArraySize is split; every task index fits") {
    std::vector<std::size_t> all(2500);
    std::iota(all.begin(), all.end(), 0);
    auto parts = plan_arrays(all, 2500, 1, 1001);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].first == 0);
    CHECK(index_list(parts[0].tasks) == "0-1000");
    CHECK(parts[1].first == 1001);
    CHECK(index_list(parts[2].tasks) == "0-497");
    CHECK(parts[2].points.back() == 2499);
    std::size_t covered = 0;
    for (const auto& p : parts) {
        covered += p.points.size();
        for (auto t : p.tasks) CHECK(t < 1001);
    }
    CHECK(covered == 2500);
}

TEST_CASE("chunking: K points per task") {
    std::vector<std::size_t> all(10);
    std::iota(all.begin(), all.end(), 0);
    auto parts = plan_arrays(all, 10, 4, 1001);
    REQUIRE(parts.size() == 1);
    CHECK(index_list(parts[0].tasks) == "0-2");
    CHECK(task_points(0, 4, 2, 10) == std::vector<std::size_t>{8, 9});
    // chunked and split: 3 tasks under MaxArraySize 2
    parts = plan_arrays(all, 10, 4, 2);
    REQUIRE(parts.size() == 2);
    CHECK(parts[1].first == 8);
    CHECK(index_list(parts[1].tasks) == "0");
    CHECK(parts[1].points == std::vector<std::size_t>{8, 9});
}

TEST_CASE("a retry submits only the tasks of the points asked for") {
    auto parts = plan_arrays({3, 7, 9}, 12, 1, 1001);
    REQUIRE(parts.size() == 1);
    CHECK(index_list(parts[0].tasks) == "3,7,9");
    parts = plan_arrays({3, 7, 9}, 12, 2, 1001);  // tasks 1, 3, 4
    CHECK(index_list(parts[0].tasks) == "1,3-4");
    CHECK(parts[0].points == std::vector<std::size_t>{2, 3, 6, 7, 8, 9});
}

TEST_CASE("jobs.tsv round trip and the latest job of each point") {
    std::vector<job_record> jobs(3);
    jobs[0] = job(1, "100", "array", {0, 1, 2, 3}, "before");
    jobs[1] = job(1, "101", "report", {}, "before");
    jobs[2] = job(2, "102", "array", {2}, "node");
    auto text = jobs_tsv(jobs);
    auto back = parse_jobs_tsv(text);
    REQUIRE(back.size() == 3);
    CHECK(back[0].tasks == jobs[0].tasks);
    CHECK(back[1].kind == "report");
    CHECK(back[2].build == "node");
    auto latest = hps::latest_jobs(back, 4);
    CHECK(latest[1].key() == "100_1");
    CHECK(latest[2].key() == "102_2");
    CHECK_THROWS(parse_jobs_tsv("nonsense\n"));
}

TEST_CASE("jobs.tsv: a halving study's rung arrays and promotion jobs") {
    std::vector<job_record> jobs(3);
    jobs[0] = job(1, "200", "rung", {0, 1}, "before", 1, {3, 7});
    jobs[1] = job(1, "201", "promote", {}, "before", 1, {});
    jobs[2] = job(1, "202", "rung", {0}, "before", 2, {7});
    const auto text = jobs_tsv(jobs);
    CHECK(text.find("1\t200\trung\t1\t1\t3,7\tbefore\t-\t-\n") != std::string::npos);
    CHECK(text.find("1\t201\tpromote\t1\t-\t-\t-\t-\t-\n") != std::string::npos);
    auto back = parse_jobs_tsv(text);
    REQUIRE(back.size() == 3);
    CHECK(back[0].points == std::vector<std::size_t>{3, 7});
    CHECK(back[0].tasks == std::vector<std::size_t>{0, 1});
    CHECK(back[1].kind == "promote");
    CHECK(back[1].rung == 1);
    CHECK(back[2].rung == 2);
    auto latest = hps::latest_jobs(back, 9);  // task t of a rung's array trains its t-th point
    CHECK(latest.size() == 2);
    CHECK(latest[3].key() == "200_0");
    CHECK(latest[7].key() == "202_0");
}

TEST_CASE("jobs.tsv: Hyperband's brackets, each rung and promotion with its bracket") {
    std::vector<job_record> jobs(3);
    jobs[0] = job(1, "300", "rung", {0, 1}, "before", 1, {2, 5}, 1);
    jobs[1] = job(1, "301", "promote", {}, "before", 1, {}, 1);
    jobs[2] = job(1, "302", "rung", {0}, "before", 0, {4}, 0);
    const auto text = jobs_tsv(jobs);
    // the last two columns: the --mem and --time asked on the command line ("-": the script's)
    CHECK(text.find("1\t300\trung\t1/1\t1\t2,5\tbefore\t-\t-\n") != std::string::npos);
    CHECK(text.find("1\t301\tpromote\t1/1\t-\t-\t-\t-\t-\n") != std::string::npos);
    CHECK(text.find("1\t302\trung\t0\t1\t4\tbefore\t-\t-\n") != std::string::npos);  // bracket 0: as before brackets
    auto back = parse_jobs_tsv(text);
    REQUIRE(back.size() == 3);
    CHECK(back[0].bracket == 1);
    CHECK(back[0].rung == 1);
    CHECK(back[1].bracket == 1);
    CHECK(back[1].rung == 1);
    CHECK(back[2].bracket == 0);
    CHECK(back[2].points == std::vector<std::size_t>{4});
    CHECK_THROWS(parse_jobs_tsv("submission\tjob\tkind\tfirst\tchunk\ttasks\tbuild\n1\t9\tpromote\t1/x\t-\t-\t-\n"));
}

TEST_CASE("a job's state, from its tasks") {
    auto q = parse_squeue("12_0|COMPLETED|None|0:42|n\n12_1|RUNNING|None|0:42|n\n13|PENDING|Dependency|0:00|\n"
                          "14_0|PENDING|None|0:00|\n");
    CHECK(hps::job_state_text("12", q, {}) == "running");
    CHECK(hps::job_state_text("13", q, {}) == "pending (Dependency)");
    CHECK(hps::job_state_text("14", q, {}) == "pending");
    CHECK(hps::job_state_text("1", q, {}) == "ended");  // not 12, 13 or 14
    auto a = parse_sacct("15_0|COMPLETED|0:0\n15_1|FAILED|1:0\n16|COMPLETED|0:0\n");
    CHECK(hps::job_state_text("15", {}, a) == "failed");
    CHECK(hps::job_state_text("16", {}, a) == "done");
}

TEST_CASE("squeue and sacct output") {
    auto q = parse_squeue("12_3|RUNNING|None|0:42|node7\n12_4|PENDING|Resources|0:00|\n13|PENDING|Dependency|0:00|\n");
    CHECK(q["12_3"].state == "RUNNING");
    CHECK(q["12_3"].node == "node7");
    CHECK(q["12_4"].reason == "Resources");
    CHECK(q["13"].reason == "Dependency");
    auto a = parse_sacct("12_3|FAILED|4:0\n12_3.batch|FAILED|4:0\n12_5|CANCELLED by 0|0:15\n");
    CHECK(a.size() == 2);
    CHECK(a["12_3"].exit_code == "4:0");
    CHECK(a["12_5"].state == "CANCELLED");
    CHECK(hps::active_state("PENDING"));
    CHECK(hps::active_state("REQUEUED"));
    CHECK_FALSE(hps::active_state("COMPLETED"));
    CHECK_FALSE(hps::active_state("TIMEOUT"));
}

namespace {

hps::study fake_study(std::size_t points) {
    hps::study s;
    s.name = "big";
    for (std::size_t i = 0; i < points; ++i) {
        hps::grid_point p;
        p.id = i;
        p.name = "model-" + std::to_string(i);
        s.points.push_back(p);
    }
    return s;
}

}  // namespace

TEST_CASE("emit_slurm: the array line fits MaxArraySize; the comment shows every array") {
    auto s = fake_study(2500);
    s.slurm.throttle = 64;
    s.slurm.time = "1-00:00:00";
    hps::emit_options opt;
    opt.spec_display = "big.hps";
    hps::memory_sink sink;
    hps::emit_slurm(s, opt, sink);
    const auto& text = sink.files.at("submit.sbatch");
    CHECK(text.find("#SBATCH --array=0-1000%64\n") != std::string::npos);
    CHECK(text.find("#     sbatch --array=0-1000%64 --export=ALL,HPS_FIRST=1001 submit.sbatch") != std::string::npos);
    CHECK(text.find("#     sbatch --array=0-497%64 --export=ALL,HPS_FIRST=2002 submit.sbatch") != std::string::npos);
    CHECK(text.find("#SBATCH --signal=B:USR1@300\n") != std::string::npos);
    CHECK(text.find("{{") == std::string::npos);
    CHECK(sink.files.count("report.sbatch"));
    CHECK(sink.files.count("logs/README"));
}

TEST_CASE("emit_slurm: chunked; spec text cannot break out of its #SBATCH line") {
    auto s = fake_study(10);
    s.slurm.chunk = 4;
    s.slurm.packing = "side_by_side";
    s.slurm.build = "node";
    s.slurm.report = false;
    s.slurm.partition = "a\nrm -rf /";
    hps::memory_sink sink;
    hps::emit_slurm(s, hps::emit_options{}, sink);
    const auto& text = sink.files.at("submit.sbatch");
    CHECK(text.find("#SBATCH --array=0-2\n") != std::string::npos);
    CHECK(text.find("chunk=4 packing=side_by_side build=node report=no throttle=0") != std::string::npos);
    CHECK(text.find(": \"${HPS_PACKING:=side_by_side}\"") != std::string::npos);
    CHECK(text.find("#SBATCH --partition=a rm -rf /\n") != std::string::npos);
    CHECK(text.find("\nrm -rf") == std::string::npos);
}

TEST_CASE("memory sizes as Slurm writes them") {
    CHECK(parse_mem("500M") == 500u);
    CHECK(parse_mem("4G") == 4096u);
    CHECK(parse_mem("5000") == 5000u);  // megabytes
    CHECK(parse_mem("1T") == 1048576u);
    CHECK(parse_mem("1500K") == 2u);  // rounded up
    CHECK_FALSE(parse_mem(""));
    CHECK_FALSE(parse_mem("4GB"));
    CHECK_FALSE(parse_mem("G"));
    CHECK(format_mem(4096) == "4G");
    CHECK(format_mem(1500) == "1500M");
}

TEST_CASE("jobs.tsv keeps each array's --mem and --time; an older file without them still reads") {
    std::vector<job_record> jobs(2);
    jobs[0] = job(1, "300", "array", {1}, "before");
    jobs[0].mem = "80M";
    jobs[0].time = "00:20:00";
    jobs[1] = job(1, "301", "array", {2}, "before");
    const auto text = jobs_tsv(jobs);
    CHECK(text.find("1\t300\tarray\t0\t1\t1\tbefore\t80M\t00:20:00\n") != std::string::npos);
    CHECK(text.find("1\t301\tarray\t0\t1\t2\tbefore\t-\t-\n") != std::string::npos);
    auto back = parse_jobs_tsv(text);
    REQUIRE(back.size() == 2);
    CHECK(back[0].mem == "80M");
    CHECK(back[0].time == "00:20:00");
    CHECK(back[1].mem.empty());
    auto latest = hps::latest_jobs(back, 3);
    CHECK(latest[1].mem == "80M");
    CHECK(latest[1].time == "00:20:00");
    auto old = parse_jobs_tsv("submission\tjob\tkind\tfirst\tchunk\ttasks\tbuild\n1\t7\tarray\t0\t1\t0-3\tbefore\n");
    REQUIRE(old.size() == 1);
    CHECK(old[0].tasks.size() == 4);
    CHECK(old[0].mem.empty());
}

TEST_CASE("why a task ended: Slurm's state where it names a cause, else slurmstepd's lines in the log") {
    CHECK(failure_reason("OUT_OF_MEMORY", "") == "OUT_OF_MEMORY");
    CHECK(failure_reason("TIMEOUT", "") == "TIMEOUT");
    CHECK(failure_reason("NODE_FAIL", "") == "NODE_FAIL");
    CHECK(failure_reason("COMPLETED", "") == "");
    CHECK(failure_reason("", "") == "");
    // the test cluster (jobacct_gather/linux + OverMemoryKill, no cgroups): FAILED, and the log
    const std::string oom = "[hps] model-1: start (point 1)\n"
                            "slurmstepd-vm: error: StepId=1.batch exceeded memory limit (8900608 > 4194304), being killed\n"
                            "slurmstepd-vm: error: Exceeded job memory limit\n"
                            "slurmstepd-vm: error: *** JOB 1 ON vm CANCELLED AT 2026-12-06T13:05:38 ***\n";
    CHECK(failure_reason("FAILED", oom) == "OUT_OF_MEMORY");
    CHECK(failure_reason("", oom) == "OUT_OF_MEMORY");  // squeue has forgotten it, no accounting
    CHECK(failure_reason("", "slurmstepd: error: Detected 1 oom-kill event(s) in StepId=5.batch.\n") == "OUT_OF_MEMORY");
    const std::string limit = "slurmstepd-vm: error: *** JOB 2 ON vm CANCELLED AT 2026-12-06T12:45:32 DUE TO TIME LIMIT ***\n";
    CHECK(failure_reason("", limit) == "TIMEOUT");
    CHECK(failure_reason("", "slurmstepd: error: *** JOB 3 ON n1 CANCELLED AT 2026-01-01T00:00:00 DUE TO NODE FAILURE ***\n") ==
          "NODE_FAIL");
    CHECK(failure_reason("", "slurmstepd: error: *** JOB 3 ON n1 CANCELLED AT 2026-01-01T00:00:00 ***\n") == "CANCELLED");
    // a requeue's cancellation is not the end: the task went on
    CHECK(failure_reason("", "slurmstepd-vm: error: *** JOB 20 ON vm CANCELLED AT 2026-11-22T07:04:50 DUE TO JOB REQUEUE ***\n") == "");
    // a trainer's own error line is not Slurm's word
    CHECK(failure_reason("FAILED", "[model-3] error: data/train.npz: cannot open\n") == "FAILED");
}

TEST_CASE("the partition's MaxTime") {
    const std::string text =
        "PartitionName=test AllowGroups=ALL Default=YES MaxTime=1-00:00:00 MinNodes=0 State=UP\n"
        "PartitionName=long AllowGroups=ALL Default=NO MaxTime=UNLIMITED State=UP\n"
        "PartitionName=short Default=NO MaxTime=00:30:00 State=UP\n";
    CHECK(parse_partition_max_time(text, "") == 86400);
    CHECK(parse_partition_max_time(text, "short") == 1800);
    CHECK_FALSE(parse_partition_max_time(text, "long"));
    CHECK_FALSE(parse_partition_max_time(text, "none"));
}

TEST_CASE("time per point from a calibration; --time with its margin; resource classes") {
    hps::grid_point p;
    p.batch = 16;
    p.config.steps = 1000;
    p.config.checkpoints = 5;
    p.config.train = "t.npz";
    p.config.validation = "v.npz";
    std::map<std::string, hps::data_header> files;
    files["t.npz"].samples = 480;
    files["v.npz"].samples = 100;
    hps::calibration c;
    c.threads = 1;
    c.batch = 16;
    c.step_seconds = 0.002;
    c.eval_batch_seconds = 0.001;
    // 1000 steps x 2 ms + ceil(5 x 100 / 16) = 32 evaluation batches x 1 ms
    CHECK(hps::cost::calibrated_seconds(p, files, c, 1).value() == doctest::Approx(2.032));
    CHECK(hps::cost::calibrated_seconds(p, files, c, 4).value() == doctest::Approx(2.032 / 4));  // linear beyond 1 thread
    c.threads = 4;
    CHECK(hps::cost::calibrated_seconds(p, files, c, 4).value() == doctest::Approx(2.032));  // measured at 4
    // epochs of unknown data: no time
    p.config.steps = 0;
    p.config.epochs = 3;
    CHECK_FALSE(hps::cost::calibrated_seconds(p, {}, c, 1));
    CHECK(hps::cost::calibrated_seconds(p, files, c, 4).value() == doctest::Approx(3 * 30 * 0.002 + 32 * 0.001));
    // x 1.5 + 5 min, whole minutes, at most the cap
    CHECK(hps::cost::time_request(2.0, std::nullopt) == 360);
    CHECK(hps::cost::time_request(3600, std::nullopt) == 5700);
    CHECK(hps::cost::time_request(36000, 86400) == 54300);
    CHECK(hps::cost::time_request(360000, 86400) == 86400);
    // the ladders: each request rounds up to the next step
    CHECK(hps::cost::mem_class(23) == 64);
    CHECK(hps::cost::mem_class(64) == 64);
    CHECK(hps::cost::mem_class(65) == 96);
    CHECK(hps::cost::mem_class(80) == 96);
    CHECK(hps::cost::mem_class(936) == 1024);
    CHECK(hps::cost::mem_class(1025) == 1536);
    CHECK(hps::cost::time_class(360) == 600);
    CHECK(hps::cost::time_class(1200) == 1200);
    CHECK(hps::cost::time_class(5700) == 7200);
    CHECK(hps::cost::time_class(5700) != hps::cost::time_class(360));
    CHECK(hps::cost::time_class(100000) == 2 * 86400);
}

TEST_CASE("a `ranks 2` point: one rank's memory at batch B/2, steps at B/2 plus the exchange, --mem-per-cpu") {
    // one network, as a 1-rank point of batch 16, the same of batch 8, and a 2-rank point of batch 16
    hps::layer dense;
    dense.kind = "dense";
    dense.name = "dense1";
    dense.units = 3;
    dense.activation = "relu";
    dense.in_shape = {4};
    dense.out_shape = {3};
    dense.params = 15;
    hps::grid_point one;
    one.input = {4};
    one.layers = {dense};
    one.params = 250000;  // the exchange's size (the layers' counts are the memory's)
    one.batch = 16;
    one.config.steps = 1000;
    one.config.checkpoints = 5;
    one.config.train = "t.npz";
    one.config.validation = "v.npz";
    one.config.outputs = 3;
    hps::grid_point half = one, ranks = one;
    half.batch = 8;
    ranks.config.ranks = 2;
    std::map<std::string, hps::data_header> files;
    files["t.npz"] = {480, 4};
    files["v.npz"] = {100, 4};
    CHECK(hps::cost::point_ranks(ranks) == 2);
    CHECK(hps::cost::rank_batch(ranks) == 8);
    CHECK(hps::cost::rank_batch(one) == 16);
    // each rank holds batch 8's buffers and a whole copy of the data: a 1-rank point of batch 8
    const auto m1 = hps::cost::point_memory(one, files), mh = hps::cost::point_memory(half, files),
               mr = hps::cost::point_memory(ranks, files);
    CHECK(mr.bytes() == mh.bytes());
    CHECK(mr.data == m1.data);
    CHECK(mr.data > 0);
    CHECK(mr.bytes() < m1.bytes());
    // the exchange: each rank sends and receives (2-1)/2 of the 250,000 floats twice a step, at 1.3 GB/s
    CHECK(hps::cost::exchange_seconds(one) == 0);
    const double ex = 1e6 / 1.3e9;  // 1 MB a step
    CHECK(hps::cost::exchange_seconds(ranks) == doctest::Approx(ex));
    // calibrated (the trainer of batch 8, timed alone): 1000 steps x (2 ms + the exchange) and
    // ceil(5 x 100 / 8) = 63 evaluation batches of 8 x 1 ms on rank 0
    const hps::calibration c8{1, 8, 0.002, 0.001, ""}, c16{1, 16, 0.002, 0.001, ""};
    CHECK(hps::cost::calibrated_seconds(one, files, c16, 1).value() == doctest::Approx(2.032));  // ceil(500 / 16) = 32
    CHECK(hps::cost::calibrated_seconds(ranks, files, c8, 1).value() == doctest::Approx(1000 * (0.002 + ex) + 63 * 0.001));
    CHECK(hps::cost::calibrated_seconds(ranks, files, c8, 4).value() ==
          doctest::Approx(1000 * (0.0005 + ex) + 63 * 0.00025));  // threads scale the computing, not the exchange
    // estimated: a rank's forward and backward passes at batch 8, every sample evaluated once on rank 0
    const double flops = hps::cost::forward_flops(one), rate = 1e9;
    CHECK(hps::cost::point_seconds(ranks, files, 2, rate).value() ==
          doctest::Approx(flops * (3.0 * 1000 * 8 + 500) / (2 * rate) + 1000 * ex));
    CHECK(hps::cost::point_seconds(one, files, 2, rate).value() == doctest::Approx(flops * (3.0 * 1000 * 16 + 500) / (2 * rate)));
    // a halving rung of it: the same rule over the rung's steps and passes
    CHECK(hps::cost::rung_seconds(ranks, files, 200, 400, &c8, 1).value() ==
          doctest::Approx(200 * (0.002 + ex) + std::ceil(100.0 / 8) * 0.001));

    // the request is one rank's, asked per cpu: sbatch's --mem is per node, the ranks' nodes unknown
    CHECK(hps::slurm::mem_option("4G", 1, 12) == "--mem=4G");
    CHECK(hps::slurm::mem_option("4G", 2, 12) == "--mem-per-cpu=342M");  // 4096 / 12, rounded up
    CHECK(hps::slurm::mem_option("3G", 2, 3) == "--mem-per-cpu=1G");
    CHECK(hps::slurm::mem_option("", 2, 4).empty());
    auto s = fake_study(4);
    s.slurm.ranks = 2;
    s.slurm.cpus = 4;
    s.slurm.mem = "1G";
    hps::memory_sink sink;
    hps::emit_slurm(s, hps::emit_options{}, sink);
    const auto& text = sink.files.at("submit.sbatch");
    CHECK(text.find("#SBATCH --ntasks=2\n#SBATCH --cpus-per-task=4\n#SBATCH --mem-per-cpu=256M\n") != std::string::npos);
    CHECK(text.find("--mem=") == std::string::npos);
}

TEST_CASE("a halving rung's requests: its own steps and evaluations, grouped by resource class") {
    hps::grid_point p;
    p.batch = 16;
    p.config.steps = 360;  // halving 40, 120, 360: 9 checkpoints, one every 40 steps
    p.config.checkpoints = 9;
    p.config.train = "t.npz";
    p.config.validation = "v.npz";
    p.config.test = "e.npz";
    std::map<std::string, hps::data_header> files;
    files["t.npz"].samples = 480;
    files["v.npz"].samples = 100;
    files["e.npz"].samples = 50;
    // each rung: its steps, the validation passes at its checkpoints, the test set at the end
    const auto r1 = hps::cost::point_workload(p, files, 0, 40), r2 = hps::cost::point_workload(p, files, 40, 120),
               r3 = hps::cost::point_workload(p, files, 120, 360), all = hps::cost::point_workload(p, files);
    REQUIRE((r1 && r2 && r3 && all));
    CHECK(r1->steps == 40);
    CHECK(r1->evaluated == 100);
    CHECK(r2->steps == 80);
    CHECK(r2->evaluated == 200);
    CHECK(r3->steps == 240);
    CHECK(r3->evaluated == 6 * 100 + 50);
    CHECK(r1->steps + r2->steps + r3->steps == all->steps);
    CHECK(r1->evaluated + r2->evaluated + r3->evaluated == all->evaluated);
    // checkpoints that do not fall on a rung's end: the trainer's own steps (51, 103, 154, ...),
    // not the rung's share of them (80 / 360 x 7 = 1.6 passes)
    p.config.checkpoints = 7;
    CHECK(hps::cost::point_workload(p, files, 40, 120)->evaluated == 200);
    p.config.checkpoints = 9;

    // two trainers of one point each, one 200 times slower a step
    hps::study checked;
    checked.points = {p, p};
    hps::study_costs costs;
    costs.checked = checked;
    costs.files = files;
    hps::study_dir s;
    s.points.resize(3);
    s.points[0].trainer = "net-small";
    s.points[1].trainer = "net-large";
    s.points[2].trainer = "net-unbuilt";
    hps::calibrations calibrated;
    calibrated["net-small"] = {1, 16, 0.002, 0.001, ""};
    calibrated["net-large"] = {1, 16, 0.4, 0.2, ""};
    const hps::request fixed{"1G", ""};
    auto req = hps::rung_requests(costs, "/nonexistent", s, {0, 1}, 40, 120, calibrated, std::nullopt, fixed,
                                  hps::task_build::never);
    // rung 2 of the small one: 80 steps x 2 ms + ceil(200 / 16) = 13 batches x 1 ms = 0.173 s,
    // x 1.5 + 5 min = 300.26 s: 6 min; the large one: 80 x 0.4 + 13 x 0.2 = 34.6 s, 351.9 s: 6 min
    CHECK(req.at(0).time == "00:06:00");
    CHECK(req.at(1).time == "00:06:00");
    CHECK(req.at(0).mem == "1G");
    // its last rung, 240 steps: 96 + ceil(650 / 16) = 41 x 0.2 = 104.2 s, x 1.5 + 5 min: 7 min 36 s -> 8 min
    req = hps::rung_requests(costs, "/nonexistent", s, {0, 1}, 120, 360, calibrated, std::nullopt, fixed,
                             hps::task_build::never);
    CHECK(req.at(1).time == "00:08:00");
    calibrated["net-large"].step_seconds = 30;  // 7208.2 s, x 1.5 + 5 min = 3 h 5 min 12 s -> 3 h 6 min
    req = hps::rung_requests(costs, "/nonexistent", s, {0, 1}, 120, 360, calibrated, std::nullopt, fixed,
                             hps::task_build::never);
    CHECK(req.at(0).time == "00:06:00");
    CHECK(req.at(1).time == "03:06:00");
    auto classes = hps::group_by_class({{0, req.at(0)}, {1, req.at(1)}});
    REQUIRE(classes.size() == 2);
    CHECK(classes.begin()->second.tasks == std::vector<std::size_t>{0});
    CHECK(classes.rbegin()->second.tasks == std::vector<std::size_t>{1});
    CHECK(classes.rbegin()->second.asked.time == "03:06:00");
    // capped at 10 min, both fall into one class, which asks the larger
    req = hps::rung_requests(costs, "/nonexistent", s, {0, 1}, 120, 360, calibrated, 600L, fixed,
                             hps::task_build::never);
    CHECK(req.at(1).time == "00:10:00");
    classes = hps::group_by_class({{0, req.at(0)}, {1, req.at(1)}});
    REQUIRE(classes.size() == 1);
    CHECK(classes.begin()->second.asked.time == "00:10:00");
    CHECK(classes.begin()->second.tasks == std::vector<std::size_t>{0, 1});
    // no calibration, no --time; the spec's or the command line's wins over a calibration
    checked.points.push_back(p);
    costs.checked = checked;
    req = hps::rung_requests(costs, "/nonexistent", s, {2}, 0, 40, calibrated, std::nullopt, fixed, hps::task_build::never);
    CHECK(req.at(2).time.empty());
    req = hps::rung_requests(costs, "/nonexistent", s, {1}, 0, 40, calibrated, std::nullopt, {"", "2:00:00"},
                             hps::task_build::never);
    CHECK(req.at(1).time == "2:00:00");
    // a task that builds its trainer asks at least the compiler's memory
    req = hps::rung_requests(costs, "/nonexistent", s, {1}, 0, 40, calibrated, std::nullopt, {"100M", ""},
                             hps::task_build::always);
    CHECK(req.at(1).mem == "100M");  // the command line's, as for submit's arrays
}

TEST_CASE("what a point asks after running out of memory or time") {
    using hps::retry_request;
    // F times what its task had, at least what it would ask anew
    auto r = retry_request({"23M", "00:06:00"}, {"4M", "00:01:00"}, "OUT_OF_MEMORY", 20, std::nullopt);
    REQUIRE(r);
    CHECK(r->mem == "80M");
    CHECK(r->time == "00:06:00");  // the other request as anew
    r = retry_request({"100M", ""}, {"4M", ""}, "OUT_OF_MEMORY", 2, std::nullopt);
    CHECK(r->mem == "100M");
    // a task that asked none: F times what it asks anew; nothing to multiply: unset
    CHECK(retry_request({"23M", ""}, {"", ""}, "OUT_OF_MEMORY", 2, std::nullopt)->mem == "46M");
    CHECK_FALSE(retry_request({"", ""}, {"", ""}, "OUT_OF_MEMORY", 2, std::nullopt));
    // time: whole minutes, at most the cap
    r = retry_request({"23M", "00:06:00"}, {"23M", "1"}, "TIMEOUT", 20, std::nullopt);
    CHECK(r->time == "00:20:00");
    CHECK(r->mem == "23M");
    CHECK(retry_request({"", "00:06:00"}, {"", "00:10:00"}, "TIMEOUT", 1.5, std::nullopt)->time == "00:15:00");
    CHECK(retry_request({"", "00:06:00"}, {"", "10:00:00"}, "TIMEOUT", 2, 86400L)->time == "20:00:00");
    CHECK(retry_request({"", "00:06:00"}, {"", "20:00:00"}, "TIMEOUT", 2, 86400L)->time == "1-00:00:00");
    CHECK_FALSE(retry_request({"", ""}, {"", ""}, "TIMEOUT", 2, std::nullopt));
    // another end is not retried with more
    CHECK_FALSE(retry_request({"23M", "00:06:00"}, {"4M", "1"}, "NODE_FAIL", 2, std::nullopt));
    CHECK_FALSE(retry_request({"23M", "00:06:00"}, {"4M", "1"}, "", 2, std::nullopt));
}

TEST_CASE("the trainer's --calibrate line") {
    hps::calibration c;
    REQUIRE(hps::parse_calibration_line(
        "calibration threads=2 batch=16 steps=812 step_s=0.000615 eval_batches=2301 eval_batch_s=0.000217\n", c));
    CHECK(c.threads == 2);
    CHECK(c.batch == 16);
    CHECK(c.step_seconds == doctest::Approx(0.000615));
    CHECK(c.eval_batch_seconds == doctest::Approx(0.000217));
    hps::calibration d;
    CHECK_FALSE(hps::parse_calibration_line("[model-0] error: settings/model-0.json: no such file\n", d));
    CHECK_FALSE(hps::parse_calibration_line("calibration threads=1 batch=16 step_s=0\n", d));
}
