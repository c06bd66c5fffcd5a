// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

import static org.junit.jupiter.api.Assertions.*;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xenffm.ChildJvmSigint;

/** SIGINT to a JVM with a busy, never-closed session: the shutdown hook tears it down and releases every vCPU. */
class ShutdownHookTest {
    @Test @Timeout(90)
    void sigintTearsTheSessionDown() throws Exception {
        String report = ChildJvmSigint.line(ChildJvmSigint.run(ShutdownHookChild.class), "ENDED=");
        assertTrue(report.startsWith("ENDED=true HELD=[] RING=false MONITORS=[] BOUND=false"), report);
        Matcher m = Pattern.compile("PUT=(\\d+) ANSWERED=(\\d+)").matcher(report);
        assertTrue(m.find(), report);
        assertEquals(m.group(1), m.group(2), "every request answered: " + report);
    }
}
