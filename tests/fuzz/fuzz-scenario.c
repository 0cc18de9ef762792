/* fuzz-scenario.c — libFuzzer target: the scenario loader and case expansion on arbitrary bytes.
 * The input is parsed as if it were scenarios/fuzz.yaml, so relative content: paths reach the
 * shipped seeds and the expansion (mutation engine) runs too, up to 256 inputs. Must never
 * crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const shipped[] = {FAULTLINE_SOURCE_DIR "/guests/sensors", NULL};
	static const struct scenario_opts opts = {
	    .sensors_dirs = shipped,
	    .formats_dir = FAULTLINE_SOURCE_DIR "/guests/formats",
	    /* the parser is under test, not an expansion of thousands of inputs: under ASan at
	     * -O1 one shipped soak scenario (10,500 inputs) takes ~10 s to expand */
	    .max_inputs = 256,
	};
	struct diags d = {0};
	struct scenario *s = NULL;
	struct scenario_case *cases = NULL;
	size_t n = 0;

	if (scenario_parse(FAULTLINE_SOURCE_DIR "/scenarios/fuzz.yaml", data, size, &opts, &d,
			   &s) == 0 &&
	    scenario_expand(s, &d, &cases, &n) == 0)
		scenario_cases_free(cases, n);
	scenario_free(s);
	diags_finish(&d);
	return 0;
}
