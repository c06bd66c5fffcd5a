// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.xenffm.ChildJvmSigint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ctrl-C on {@code xenffm monitor} in an altp2m mode while the guest raises events: the command's shutdown hook
 * answers what is pending, disables the ring, destroys its view and switches altp2m off; no vCPU is left paused.
 */
class MonitorSigintTest {
    @Test @Timeout(120)
    void sigintTakesDownTheRingAndTheView() throws Exception {
        List<String> lines = ChildJvmSigint.run(MonitorSigintChild.class);
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"event\":\"singlestep\"")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"event\":\"cpuid\"")), lines::toString);
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"stopped\":\"signal\"") && l.contains("altp2m off")
                && l.contains("ring disabled")), () -> "monitor says what it restored: " + lines);
        assertEquals("STATE ring=false altp2m=false view=-1 vcpu_paused=false domain_paused=false shutdown=false",
                ChildJvmSigint.line(lines, "STATE "), () -> String.join("\n", lines));
    }
}
