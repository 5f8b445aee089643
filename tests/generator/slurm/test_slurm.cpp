// The Slurm side's pure parts: time limits, array index lists, cutting a grid into arrays
// under MaxArraySize, the job table, squeue/sacct parsing, and the scripts emit_slurm writes.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "generator/emit.hpp"
#include "generator/slurm.hpp"
#include "generator/slurm_halving.hpp"
#include "generator/slurm_jobs.hpp"

#include <numeric>

using namespace hps::slurm;

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
    jobs[0] = {1, "100", "array", 0, 1, {0, 1, 2, 3}, "before"};
    jobs[1] = {1, "101", "report", 0, 1, {}, "before"};
    jobs[2] = {2, "102", "array", 0, 1, {2}, "node"};
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
    jobs[0] = {1, "200", "rung", 0, 1, {0, 1}, "before", 1, {3, 7}};
    jobs[1] = {1, "201", "promote", 0, 1, {}, "before", 1, {}};
    jobs[2] = {1, "202", "rung", 0, 1, {0}, "before", 2, {7}};
    const auto text = jobs_tsv(jobs);
    CHECK(text.find("1\t200\trung\t1\t1\t3,7\tbefore\n") != std::string::npos);
    CHECK(text.find("1\t201\tpromote\t1\t-\t-\t-\n") != std::string::npos);
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
    jobs[0] = {1, "300", "rung", 0, 1, {0, 1}, "before", 1, {2, 5}, 1};
    jobs[1] = {1, "301", "promote", 0, 1, {}, "before", 1, {}, 1};
    jobs[2] = {1, "302", "rung", 0, 1, {0}, "before", 0, {4}, 0};
    const auto text = jobs_tsv(jobs);
    CHECK(text.find("1\t300\trung\t1/1\t1\t2,5\tbefore\n") != std::string::npos);
    CHECK(text.find("1\t301\tpromote\t1/1\t-\t-\t-\n") != std::string::npos);
    CHECK(text.find("1\t302\trung\t0\t1\t4\tbefore\n") != std::string::npos);  // bracket 0: as before brackets
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
