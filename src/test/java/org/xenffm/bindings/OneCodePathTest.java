// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The hand-written code has one path for every Xen version: it names the oldest package's classes (xen417) and
 * reads the same bytes on newer Xen. This holds only while what it names is the same in every newer package, so
 * every xen417 struct, constant and function descriptor named in src/main must be identical in each newer package,
 * compatible (only members added, as 4.18's {@code u.io}), or listed in {@link #PER_VERSION} with the place that
 * handles the difference. A new Xen generation that moves something the backend reads fails here, not on a host.
 */
class OneCodePathTest {
    private static final Path MAIN = XenVersions.REPO.resolve("src/main/java");
    private static final String OLD = "xen417";

    /** What differs and where the code takes the version into account. */
    private static final Map<String, String> PER_VERSION = Map.of(
            "xen_domctl_createdomain", "XenDomains.create fills xen420's layout on >= 4.19 (altp2m_opts)",
            "vm_event_sring", "ring[] is a flexible array whose declared size changed (464 -> 64); VmEventAbi reads"
                    + " only the index words and ring's offset, which VmEventAbiTest pins");

    private static final Pattern TYPE = Pattern.compile("org\\.xenffm\\.bindings\\." + OLD + "\\.([a-z][A-Za-z0-9_]*)");
    private static final Pattern CONSTANT = Pattern.compile("(?<![.\\w])Xen\\.([A-Z][A-Za-z0-9_]*)\\(\\)");
    private static final Pattern FUNCTION = Pattern.compile("(?<![.\\w])Xen::([a-z][A-Za-z0-9_]*)\\$descriptor");

    record Uses(TreeSet<String> types, TreeSet<String> constants, TreeSet<String> functions) {}

    static Uses uses() throws IOException {
        Uses u = new Uses(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String src = Files.readString(f);
                collect(TYPE, src, u.types());
                if (src.contains("import org.xenffm.bindings." + OLD + ".Xen;")) {
                    collect(CONSTANT, src, u.constants());
                    collect(FUNCTION, src, u.functions());
                }
            }
        }
        u.types().remove("Xen");
        return u;
    }

    private static void collect(Pattern p, String src, TreeSet<String> into) {
        for (Matcher m = p.matcher(src); m.find(); ) into.add(m.group(1));
    }

    private static Class<?> cls(String pkg, String name) throws ClassNotFoundException {
        return Class.forName(XenVersions.javaPackage(pkg) + "." + name);
    }

    private static List<String> newer() throws IOException {
        return XenVersions.packages().stream().filter(p -> !p.equals(OLD)).toList();
    }

    @Test void theScanFindsWhatTheBackendAndTheRingConsumerName() throws IOException {
        Uses u = uses();
        assertTrue(u.types().containsAll(List.of("vm_event_st", "vm_event_sring", "xen_domctl_getdomaininfo")), u::toString);
        assertTrue(u.constants().containsAll(List.of("VM_EVENT_FLAG_VCPU_PAUSED", "XEN_DOMINF_paused")), u::toString);
        assertTrue(u.functions().size() > 50, () -> "function descriptors found: " + u.functions());
        for (String k : PER_VERSION.keySet())
            assertTrue(u.types().contains(k) || u.constants().contains(k), k + " is in PER_VERSION but unused");
    }

    @Test void structsNamedInMainAreIdenticalOrOnlyGrewInNewerXen() throws Exception {
        List<String> broken = new ArrayList<>();
        for (String pkg : newer()) {
            for (String t : uses().types()) {
                GroupLayout old = (GroupLayout) cls(OLD, t).getMethod("layout").invoke(null);
                GroupLayout now = (GroupLayout) cls(pkg, t).getMethod("layout").invoke(null);
                var changes = VersionDiff.memberChanges(old, now);
                boolean onlyAdded = old.byteSize() == now.byteSize()
                        && changes.stream().allMatch(c -> c.old() == null);
                if (PER_VERSION.containsKey(t)) {
                    assertFalse(changes.isEmpty() && old.byteSize() == now.byteSize(),
                            t + " is the same in " + pkg + ": drop it from PER_VERSION");
                } else if (!onlyAdded) {
                    broken.add(pkg + "." + t + " " + changes);
                }
            }
        }
        assertEquals(List.of(), broken, "named through " + OLD + " but laid out differently (see PER_VERSION)");
    }

    @Test void constantsNamedInMainHaveTheSameValueInNewerXen() throws Exception {
        List<String> broken = new ArrayList<>();
        for (String pkg : newer()) {
            for (String c : uses().constants()) {
                Object old = cls(OLD, "Xen").getMethod(c).invoke(null), now = cls(pkg, "Xen").getMethod(c).invoke(null);
                if (PER_VERSION.containsKey(c)) assertFalse(old.equals(now), c + " is unchanged in " + pkg);
                else if (!old.equals(now)) broken.add(pkg + "." + c + ": " + old + " -> " + now);
            }
        }
        assertEquals(List.of(), broken);
    }

    /** Compared by C prototype and jextract's Java signature: a descriptor would need libxenctrl loaded. */
    @Test void functionsNamedInMainHaveTheSamePrototypeInNewerXen() throws Exception {
        var old = VersionDiff.functions(XenVersions.javaPackage(OLD), XenVersions.sourceDir(OLD));
        List<String> broken = new ArrayList<>();
        for (String pkg : newer()) {
            var now = VersionDiff.functions(XenVersions.javaPackage(pkg), XenVersions.sourceDir(pkg));
            for (String f : uses().functions()) {
                if (!old.containsKey(f)) {
                    broken.add(OLD + "." + f + ": not a bound function");
                } else if (!now.containsKey(f)) {
                    if (!f.equals("xc_domain_getinfo")) broken.add(pkg + "." + f + ": gone");
                } else if (!old.get(f).equals(now.get(f))) {
                    broken.add(pkg + "." + f + ": " + old.get(f) + " -> " + now.get(f));
                }
            }
        }
        assertEquals(List.of(), broken);
    }
}
