// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The bound Xen versions and where each one's headers and libraries are, for every test that needs them.
 *
 * <p>xen417 is Debian 12's libxen-dev (/usr/include, libxenctrl.so.4.17 in the system library directory). Any
 * other version is fetched by {@code native-headers/fetch-headers.sh <version>} into build/xen&lt;NNN&gt;/root
 * (never installed); {@code -Dxenffm.headers.xen<NNN>=DIR} overrides the header root, and the libraries are
 * expected in the sibling {@code DIR/../lib/x86_64-linux-gnu}. Missing ones FAIL with the command that fetches
 * them: every build checks every version.
 */
final class XenVersions {

    static final Path REPO = Path.of(System.getProperty("user.dir"));
    static final Path BINDINGS = REPO.resolve("bindings/src/main/java/org/xenffm/bindings");
    static final String SYSTEM_PKG = "xen417";
    static final List<Path> SYSTEM_LIB_DIRS = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/lib"), Path.of("/usr/local/lib"));

    private XenVersions() {}

    /** Generated packages under bindings/, e.g. [xen417, xen420]. */
    static List<String> packages() throws IOException {
        try (Stream<Path> dirs = Files.list(BINDINGS)) {
            List<String> pkgs = dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString())
                    .filter(n -> n.matches("xen\\d{3,}")).sorted().toList();
            assertTrue(!pkgs.isEmpty(), "no generated package under " + BINDINGS);
            return pkgs;
        }
    }

    /** "xen420" -> "4.20". */
    static String version(String pkg) {
        return ProbeGenerator.version(pkg);
    }

    static String javaPackage(String pkg) {
        return "org.xenffm.bindings." + pkg;
    }

    static Path sourceDir(String pkg) {
        return BINDINGS.resolve(pkg);
    }

    /** The header root the package was generated from (holds xenctrl.h, xen/...). */
    static Path headerRoot(String pkg) {
        String prop = System.getProperty("xenffm.headers." + pkg);
        Path root;
        if (prop != null) {
            root = Path.of(prop);
        } else if (pkg.equals(SYSTEM_PKG)) {
            root = Path.of("/usr/include");
        } else {
            root = REPO.resolve("build/" + pkg + "/root/usr/include");
        }
        if (!Files.exists(root.resolve("xenctrl.h"))) {
            fail("Xen " + version(pkg) + " headers not found (" + root.resolve("xenctrl.h") + "): "
                    + (pkg.equals(SYSTEM_PKG) && prop == null
                            ? "install libxen-dev (./run.sh deps does it)"
                            : "run `native-headers/fetch-headers.sh " + version(pkg) + "` (./run.sh test does it first;"
                            + " it unpacks them to build/" + pkg + "/root/usr/include, the default), or pass"
                            + " -Dxenffm.headers." + pkg + "=<a Xen " + version(pkg) + " header root>"));
        }
        return root;
    }

    /** The directory holding libxenctrl.so.&lt;version&gt; and the libxen* libraries it needs. */
    static Path libDir(String pkg) {
        String soname = "libxenctrl.so." + version(pkg);
        List<Path> candidates = pkg.equals(SYSTEM_PKG) && System.getProperty("xenffm.headers." + pkg) == null
                ? SYSTEM_LIB_DIRS
                : List.of(headerRoot(pkg).getParent().resolve("lib/x86_64-linux-gnu"));
        return candidates.stream().filter(d -> Files.exists(d.resolve(soname))).findFirst()
                .orElseGet(() -> fail(soname + " not found in " + candidates + ": "
                        + (pkg.equals(SYSTEM_PKG) ? "install libxen-dev (./run.sh deps does it)"
                                : "run `native-headers/fetch-headers.sh " + version(pkg) + "`, which unpacks it")));
    }
}
