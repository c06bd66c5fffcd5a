// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fresh {@link Rig} per test on one release; afterwards every repair the keeper attempted must have succeeded and
 * only the raw baselines may have crashed the emulated host.
 */
abstract class RigTest {
    final Release release;
    Rig r;
    /** Set by the raw baselines that show the emulated Xen panicking. */
    boolean testCrashesOnPurpose;

    RigTest(Release release) { this.release = release; }

    @BeforeEach void up() { r = new Rig(release); }

    @AfterEach void down() {
        long failures = r.faults.keeperFailures();
        boolean crashed = r.hv.crashed();
        r.close();
        assertEquals(0, failures, "every event's repair succeeded");
        if (crashed) assertTrue(testCrashesOnPurpose, "only the raw baselines may crash the host");
    }
}
