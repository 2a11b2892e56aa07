// The client library's CheckSpec for `drl bench`'s check template (BenchConfig::
// check_template, a wire::Check), for the bench modes that go through the C++ client
// (--smart, --ledger). The key is left empty: each check sets its own.
#pragma once
#include "drl/client.h"
#include "drl/client.pb.h"

namespace drl::cli {

CheckSpec check_spec_from(const wire::Check& check_template);

}  // namespace drl::cli
