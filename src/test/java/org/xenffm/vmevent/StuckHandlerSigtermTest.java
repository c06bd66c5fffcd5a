// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.ChildJvmSigint;

/**
 * SIGTERM to a JVM whose vm_event handler never returns while all 8 vCPUs wait: the session's shutdown hook tears
 * down without the handler past its deadline, and every vCPU runs on (before issue 14 the hook waited forever).
 */
class StuckHandlerSigtermTest {
    @Test @Timeout(120)
    void sigtermWithAStuckHandlerEndsWithTheGuestRunning() throws Exception {
        List<String> lines = ChildJvmSigint.run(StuckHandlerSigtermChild.class, "TERM");
        assertEquals("STATE paused=0 loops_completed=8 domain_paused=false", ChildJvmSigint.line(lines, "STATE "),
                () -> String.join("\n", lines));
    }
}
