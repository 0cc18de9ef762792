/* palette.c — the reports' styles (see palette.h), in the verdicts' severity order. Each row:
 * {css, symbol, one, many, legend, colour, tint, ink}. */
#include "palette.h"

static const struct palette_style verdicts[_VERDICT_MAX] = {
    [VERDICT_BOOT_LOOP] = {"bootloop", "\xe2\x9f\xb3", "boot loop", "boot loops",
			   "the persisted update crashed the guest again on reboot", "#6d1a1a",
			   "#f3d6d6", "#fff"},
    [VERDICT_RECOVERED] = {"recovered", "\xe2\x86\xba", "recovered crash", "recovered crashes",
			   "the update crashed the guest; a later boot came up healthy", "#ad1457",
			   "#fbe3ee", "#fff"},
    [VERDICT_CRASH] = {"crash", "\xe2\x9c\x96", "crash", "crashes", "the guest kernel crashed",
		       "#c62828", "#fde2e0", "#fff"},
    [VERDICT_HANG] = {"hang", "\xe2\x97\x94", "hang", "hangs", "the guest stopped making progress",
		      "#bf360c", "#fde7dc", "#fff"},
    [VERDICT_SENSOR_DIED] = {"died", "\xe2\x80\xa0", "sensor died", "sensor died",
			     "a user-mode sensor died; the kernel survived", "#6a1b9a", "#efe0f5",
			     "#fff"},
    [VERDICT_PROTECTION_LOST] = {"blind", "\xe2\x8a\x98", "protection lost", "protection lost",
				 "the sensor survived but no longer detects the trigger's event",
				 "#5d4037", "#efe7e4", "#fff"},
    [VERDICT_SENSOR_ERROR] =
	{"senserr", "!", "sensor error", "sensor errors",
	 "the update failed with an errno the sensor does not declare a rejection", "#ad1457",
	 "#fbe4ec", "#fff"},
    [VERDICT_INFRA_ERROR] = {"infra", "?", "infra error", "infra errors",
			     "the harness could not run the case (not the sensor's fault)",
			     "#5f6770", "#eceff1", "#fff"},
    [VERDICT_ACCEPTED] = {"accepted", "\xe2\x97\x8f", "accepted", "accepted",
			  "unmutated seed content accepted, guest healthy", "#1565c0", "#e1ecfa",
			  "#fff"},
    [VERDICT_REJECTED] = {"rejected", "\xe2\x9c\x93", "clean rejection", "clean rejections",
			  "the sensor refused the update and the guest stayed healthy", "#2e7d32",
			  "#e3f2e4", "#fff"},
    [VERDICT_OTHER] = {"other", "\xe2\x80\xa2", "other", "other",
		       "a verdict this version does not know", "#6b6b6b", "#f0f0f0", "#fff"},
};

const struct palette_style palette_silent = {
    .css = "silent",
    .symbol = "!",
    .one = "silent acceptance",
    .many = "silent acceptances",
    .legend = "malformed input accepted without complaint",
    .colour = "#f2b600",
    .tint = "#fff4cc",
    .ink = "#000", /* the yellow swatch carries black text */
};

const struct palette_style *palette_verdict(enum verdict v)
{
	return &verdicts[(unsigned)v < _VERDICT_MAX ? v : VERDICT_OTHER];
}
