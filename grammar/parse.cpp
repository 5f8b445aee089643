// hps::parse: the .hps grammar (grammar/) run over a source, errors as diagnostics.
#include "grammar/parse.hpp"

#include "grammar/config.hpp"
#include "grammar/hps.hpp"

#include <exception>
#include <functional>
#include <new>

namespace hps {

bool parse(source& src, ast::study_file& out, diagnostics& diags) try {
    out = ast::study_file{};  // X3 appends to containers: start from an empty file
    parser::error_handler handler(src, diags);
    iterator_type first = src.begin();
    iterator_type const last = src.end();
    // A UTF-8 byte order mark is not part of the study.
    if (src.text().compare(0, 3, "\xEF\xBB\xBF") == 0) first += 3;
    bool ok = false;
    try {
        auto const grammar = x3::with<x3::error_handler_tag>(std::ref(handler))[study_grammar()];
        ok = x3::phrase_parse(first, last, grammar, parser::skipper_type{}, out) && first == last;
    } catch (x3::expectation_failure<iterator_type> const& failure) {
        // Thrown outside any rule with an error handler (should not happen; kept so
        // that parse never throws).
        handler.expected(failure.where(), failure.which());
    } catch (std::bad_alloc const&) {
        handler.error(first, first, "out of memory while parsing");
    } catch (std::exception const& e) {
        handler.error(first, first, std::string("internal error while parsing: ") + e.what());
    }
    if (!ok && !handler.reported()) handler.expected(first, "a study");
    return ok && !handler.reported();
} catch (...) {
    // Only an error while reporting an error (out of memory) gets here.
    return false;
}

}  // namespace hps
