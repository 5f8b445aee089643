// report.html: a study's results as one self-contained page (no server, no network: it
// opens from a laptop after scp). The page is templates/report.html.in with Chart.js
// (Debian's libjs-chart.js, compiled into hpsgen), the page's script
// (templates/report.js) and the study's data, inlined as one JSON object; the script
// draws the tables and plots from that object. Its fields: docs/design.md, "report.html".
#pragma once

#include "generator/ranking.hpp"
#include "generator/study_dir.hpp"

#include <string>

namespace hps {

// The page's data: one JSON object, every '<' written \u003c so that it can sit inside
// a <script> element. `r` is the ranking the page shows (rank_points done).
std::string report_data(const study_dir& s, const ranking& r);

// The whole page.
std::string report_html(const study_dir& s, const ranking& r);

// Reads the study folder DIR, ranks its points by the spec's rule and writes the page
// to `path`, atomically; what `hpsgen run` calls after each point. Throws
// std::runtime_error (a folder that is not a study, a file that cannot be written).
void write_report_html(const std::string& dir, const std::string& path);

}  // namespace hps
