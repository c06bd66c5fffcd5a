// SPDX-License-Identifier: Apache-2.0
package org.xenffm;

import org.junit.jupiter.api.Test;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.XenNotAvailableException;
import org.xenffm.emulated.EmulatedHypervisor;
import org.xenffm.emulated.HostConfig;
import org.xenffm.emulated.Outcome;
import org.xenffm.vmevent.MonitorSession;
import org.xenffm.vmevent.VmEvent;
import org.xenffm.vmevent.VmEventResponse;
import org.xenffm.xen.XenHypervisor;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which code needs native access: child JVMs with {@code --illegal-native-access=deny} and no grant run the emulator
 * through a monitor session (ring layouts, typed events) on the module path and on the class path, and print no
 * native-access warning without any flag; the FFM backend, denied, says which flag it needs.
 */
class NativeAccessTest {
    /** The library's module path: its classes and the bindings' (exploded modules) and slf4j-api. */
    private static String modulePath() {
        List<String> mp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            boolean moduleDir = Files.isDirectory(p) && Files.exists(p.resolve("module-info.class"));
            if (moduleDir || p.getFileName().toString().startsWith("slf4j-api") || e.contains("xenffm-bindings"))
                mp.add(e);
        }
        return String.join(File.pathSeparator, mp);
    }

    private static String testClasses() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.endsWith("test-classes")).findFirst().orElseThrow();
    }

    private record Run(int exit, String output) {}

    private static Run child(List<String> jvmArgs, String mode) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of(Workload.class.getName(), mode));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child hung: " + out);
        return new Run(p.exitValue(), out);
    }

    private static List<String> modulePathArgs(String... extra) {
        List<String> a = new ArrayList<>(List.of(extra));
        a.addAll(List.of("-p", modulePath(), "--add-modules", "org.xenffm", "-cp", testClasses()));
        return a;
    }

    private static List<String> classPathArgs(String... extra) {
        List<String> a = new ArrayList<>(List.of(extra));
        a.addAll(List.of("-cp", System.getProperty("java.class.path")));
        return a;
    }

    @Test void theEmulatorNeedsNoNativeAccessOnTheModulePath() throws Exception {
        Run r = child(modulePathArgs("--illegal-native-access=deny"), "emulator");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("EVENTS 1 module org.xenffm"), r.output());
    }

    @Test void theEmulatorNeedsNoNativeAccessOnTheClassPath() throws Exception {
        Run r = child(classPathArgs("--illegal-native-access=deny"), "emulator");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("EVENTS 1 unnamed"), r.output());
    }

    @Test void theEmulatorPrintsNoNativeAccessWarningWithoutAnyFlag() throws Exception {
        for (List<String> args : List.of(modulePathArgs(), classPathArgs())) {
            Run r = child(args, "emulator");
            assertEquals(0, r.exit(), r.output());
            assertFalse(r.output().contains("WARNING"), r.output());
        }
    }

    @Test void theFfmBackendDeniedNamesTheFlagItNeeds() throws Exception {
        Run m = child(modulePathArgs("--illegal-native-access=deny"), "xen");
        assertEquals(0, m.exit(), m.output());
        assertTrue(m.output().contains("DENIED EPERM")
                && m.output().contains("--enable-native-access=org.xenffm,org.xenffm.bindings"), m.output());
        // org.xenffm alone is not enough: the generated code links what it describes
        Run half = child(modulePathArgs("--illegal-native-access=deny", "--enable-native-access=org.xenffm"), "xen");
        assertTrue(half.output().contains("DENIED EPERM")
                && half.output().contains("--enable-native-access=org.xenffm,org.xenffm.bindings"), half.output());
        Run c = child(classPathArgs("--illegal-native-access=deny"), "xen");
        assertTrue(c.output().contains("DENIED EPERM") && c.output().contains("--enable-native-access=ALL-UNNAMED"),
                c.output());
    }

    @Test void theFfmBackendGrantedOnTheModulePathReachesLibxenctrl() throws Exception {
        Run r = child(modulePathArgs("--illegal-native-access=deny",
                "--enable-native-access=org.xenffm,org.xenffm.bindings"), "xen");
        assertEquals(0, r.exit(), r.output());
        // past the grant: the library loads (or is missing on this host); either way not a native-access refusal
        assertTrue(r.output().contains("NOT-AVAILABLE") && !r.output().contains("EPERM"), r.output());
    }

    /** The child's work: {@code emulator} runs one watched write through a session; {@code xen} opens the backend. */
    public static final class Workload {
        public static void main(String[] args) throws Exception {
            String where = EmulatedHypervisor.class.getModule().isNamed()
                    ? "module " + EmulatedHypervisor.class.getModule().getName() : "unnamed";
            if (args[0].equals("xen")) {
                try (XenHypervisor hv = new XenHypervisor()) {
                    System.out.println("OPENED " + hv.version());
                } catch (XenNotAvailableException e) {
                    System.out.println((e.errno() != null && e.errno().name().equals("EPERM") ? "DENIED EPERM "
                            : "NOT-AVAILABLE ") + e.getMessage());
                }
                return;
            }
            try (EmulatedHypervisor emu = new EmulatedHypervisor(HostConfig.vtx())) {
                DomainId d = emu.createGuest(1, 1024);
                AtomicInteger events = new AtomicInteger();
                try (MonitorSession s = MonitorSession.builder(emu, d).memAccess(Gfn.of(0x200), 1, MemAccess.RX)
                        .on(VmEvent.MemAccess.class, e -> {
                            events.incrementAndGet();
                            return VmEventResponse.CONTINUE.emulate();
                        }).start()) {
                    Outcome o = emu.guest(d).vcpu(0).write(Gfn.of(0x200), 0, new byte[] {1}).await(Duration.ofSeconds(10));
                    if (o != Outcome.COMPLETED) throw new AssertionError("write " + o);
                }
                System.out.println("EVENTS " + events.get() + " " + where);
            }
        }
    }
}
