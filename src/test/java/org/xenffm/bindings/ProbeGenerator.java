// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.UnionLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Generates the gcc layout probe for one jextract bindings package, and the lines that probe must print.
 *
 * <p>Both sides come from the same walk over the loaded binding classes: for every struct/union/typedef class
 * the size and alignment, then every named member (recursively: nested structs and unions, array element 0,
 * anonymous members transparently) with its offset and size; for every constant of the header class its width
 * and bit pattern. The C side asks gcc ({@code offsetof}, {@code sizeof}, {@code _Alignof}); the Java side asks
 * the {@link MemoryLayout}s the generated accessors use. So the probe cannot go stale or miss a member: it is
 * derived from exactly what the bindings expose.
 *
 * <p>Output lines (one fact each, the key is everything but the last field(s)):
 * <pre>
 *   S &lt;type&gt; &lt;size&gt; &lt;align&gt;
 *   M &lt;type&gt; &lt;member.path[0].x&gt; &lt;offset&gt; &lt;size&gt;
 *   C &lt;NAME&gt; &lt;width&gt; 0x&lt;bits&gt;
 *   B &lt;limit&gt; &lt;ar&gt; &lt;raw&gt;            (vm_event_x86_selector_reg bitfields, set by C assignment)
 * </pre>
 *
 * <p>Run by bindings/regenerate.sh as a single-file program:
 * {@code java -cp <compiled bindings> ProbeGenerator.java <package> <dir with its .class or .java files>}.
 */
public final class ProbeGenerator {

    /** The header class name passed to jextract ({@code --header-class-name}). */
    public static final String HEADER_CLASS = "Xen";
    /** The one struct with bitfields; jextract turns them into padding, X86SelectorReg decodes them. */
    public static final String SELECTOR_REG = "vm_event_x86_selector_reg";
    /** (limit, ar) pairs the probe assigns through the C bitfields: extremes, single bits, typical segments. */
    public static final int[][] SELECTOR_VECTORS = {
        {0, 0}, {0xFFFFF, 0}, {0, 0xFFF}, {0xFFFFF, 0xFFF}, {1, 0}, {0, 1}, {0x80000, 0x800},
        {0x12345, 0xABC}, {0xFFFFF, 0xC9B}, {0xFFFF, 0x093}, {0x67, 0x08B}, {0xFFFFF, 0xA9B},
    };

    private ProbeGenerator() {}

    /** A struct, union or typedef'd struct class of the bindings, with its C spelling. */
    public record Type(String name, String cType, GroupLayout layout) {}

    /** A constant of the header class: its width in bytes and its value as an unsigned bit pattern. */
    public record Constant(String name, int width, long bits) {}

    public static List<Type> types(String pkg, Path dir) throws IOException, ReflectiveOperationException {
        List<Type> types = new ArrayList<>();
        for (String simple : classNames(dir)) {
            Class<?> c = Class.forName(pkg + "." + simple);
            Method layout;
            try {
                layout = c.getMethod("layout");
            } catch (NoSuchMethodException e) {
                continue; // header class, function-pointer typedef: no layout of its own
            }
            if (!Modifier.isStatic(layout.getModifiers()) || !GroupLayout.class.isAssignableFrom(layout.getReturnType())) {
                continue;
            }
            GroupLayout g = (GroupLayout) layout.invoke(null);
            // jextract renders "typedef struct s t;" as class t extends s; a struct/union class extends Object
            boolean typedef = c.getSuperclass() != Object.class;
            String cType = typedef ? simple : (g instanceof UnionLayout ? "union " : "struct ") + simple;
            types.add(new Type(simple, cType, g));
        }
        return types;
    }

    public static List<Constant> constants(String pkg) throws ReflectiveOperationException {
        Class<?> header = Class.forName(pkg + "." + HEADER_CLASS);
        List<Constant> out = new ArrayList<>();
        for (Method m : header.getMethods()) {
            String n = m.getName();
            if (!Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0 || n.contains("$")
                    || !m.getDeclaringClass().getPackageName().equals(pkg)
                    || hasMethod(header, n + "$descriptor") || hasMethod(header, n + "$segment")) {
                continue; // functions (even zero-argument ones) and global variables are not constants
            }
            Object v = m.invoke(null);
            Constant c = switch (v) {
                case Integer i -> new Constant(n, 4, i & 0xFFFF_FFFFL);
                case Long l -> new Constant(n, 8, l);
                case Short s -> new Constant(n, 2, s & 0xFFFFL);
                case Byte b -> new Constant(n, 1, b & 0xFFL);
                case Character ch -> new Constant(n, 2, ch);
                default -> throw new IllegalStateException("constant " + n + " has type " + m.getReturnType()
                        + ", which the probe does not check yet: extend ProbeGenerator");
            };
            out.add(c);
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    /** What the probe must print, computed from the Java layouts: the reference the test compares against. */
    public static List<String> expectedLines(List<Type> types, List<Constant> constants) {
        List<String> out = new ArrayList<>();
        for (Type t : types) {
            out.add("S " + t.name() + " " + t.layout().byteSize() + " " + t.layout().byteAlignment());
            walk(t.layout(), "", 0, (path, offset, layout) ->
                    out.add("M " + t.name() + " " + path + " " + offset + " " + layout.byteSize()));
        }
        for (Constant c : constants) {
            out.add("C " + c.name() + " " + c.width() + " 0x" + Long.toHexString(c.bits()));
        }
        return out;
    }

    public static String cSource(String pkg, List<Type> types, List<Constant> constants) {
        StringBuilder c = new StringBuilder();
        c.append("""
                /* GENERATED by src/test/java/org/xenffm/bindings/ProbeGenerator.java from %s
                 * (bindings/regenerate.sh). Do not edit: LayoutProbeTest checks it is current, compiles it with gcc
                 * against the same Xen headers and compares every line with the Java layouts and constants. */
                #include <stddef.h>
                #include <stdint.h>
                #include <stdio.h>
                #include <string.h>
                #include "xenffm.h"

                #define S(name, type) printf("S %%s %%zu %%zu\\n", name, sizeof(type), _Alignof(type))
                #define M(name, type, path) printf("M %%s %%s %%zu %%zu\\n", name, #path, \\
                        offsetof(type, path), sizeof(((type *)0)->path))
                /* a flexible array member has no size; its element [0] is probed as the next line */
                #define MF(name, type, path) printf("M %%s %%s %%zu 0\\n", name, #path, offsetof(type, path))
                #define C(name) printf("C %%s %%zu 0x%%llx\\n", #name, sizeof(name), \\
                        (unsigned long long)(name) & (~0ULL >> (64 - 8 * sizeof(name))))

                """.formatted(pkg));
        boolean selector = types.stream().anyMatch(t -> t.name().equals(SELECTOR_REG));
        if (selector) {
            c.append("""
                    /* limit:20 and ar:12 set by C bitfield assignment; prints the raw 32-bit word */
                    static void B(unsigned limit, unsigned ar) {
                        union { struct vm_event_x86_selector_reg r; uint32_t raw; } u;
                        memset(&u, 0, sizeof(u));
                        u.r.limit = limit;
                        u.r.ar = ar;
                        printf("B 0x%x 0x%x 0x%x\\n", limit, ar, (unsigned)u.raw);
                    }

                    """);
        }
        c.append("int main(void) {\n");
        for (Type t : types) {
            c.append("    S(\"").append(t.name()).append("\", ").append(t.cType()).append(");\n");
            walk(t.layout(), "", 0, (path, offset, layout) -> c.append(flexible(layout) ? "    MF(\"" : "    M(\"")
                    .append(t.name()).append("\", ").append(t.cType()).append(", ").append(path).append(");\n"));
        }
        for (Constant k : constants) {
            c.append("    C(").append(k.name()).append(");\n");
        }
        if (selector) {
            for (int[] v : SELECTOR_VECTORS) {
                c.append("    B(0x%x, 0x%x);\n".formatted(v[0], v[1]));
            }
        }
        c.append("    return 0;\n}\n");
        return c.toString();
    }

    /** Receives every named member below a layout: its C access path, byte offset and layout. */
    @FunctionalInterface
    public interface MemberVisitor {
        void member(String path, long offset, MemoryLayout layout);
    }

    /**
     * Visits members the way C names them. Struct members follow each other (FFM struct layouts carry their
     * padding explicitly), union members all start at the union's offset, arrays are entered at element 0,
     * and a member without a real name (anonymous struct/union) is transparent, as in C.
     */
    public static void walk(GroupLayout group, String prefix, long base, MemberVisitor v) {
        long offset = base;
        for (MemoryLayout m : group.memberLayouts()) {
            if (!(m instanceof PaddingLayout)) {
                String name = m.name().orElse("");
                if (name.isEmpty() || name.startsWith("$anon")) {
                    if (m instanceof GroupLayout g) {
                        walk(g, prefix, offset, v);
                    }
                } else {
                    member(prefix + name, offset, m, v);
                }
            }
            if (!(group instanceof UnionLayout)) {
                offset += m.byteSize();
            }
        }
    }

    private static void member(String path, long offset, MemoryLayout m, MemberVisitor v) {
        v.member(path, offset, m);
        switch (m) {
            case GroupLayout g -> walk(g, path + ".", offset, v);
            case SequenceLayout s -> { // element 0 of a flexible array member too: its size is what counts
                MemoryLayout e = s.elementLayout();
                if (e instanceof GroupLayout || e instanceof SequenceLayout) {
                    member(path + "[0]", offset, e, v);
                }
            }
            default -> { }
        }
    }

    /** Names of the bound functions: the header class's {@code xc_foo$descriptor} methods (not invoked: that
     *  would resolve the symbol). */
    public static java.util.SortedSet<String> functionNames(String pkg) throws ClassNotFoundException {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        for (Method m : Class.forName(pkg + "." + HEADER_CLASS).getMethods()) {
            if (m.getName().endsWith("$descriptor")) {
                names.add(m.getName().substring(0, m.getName().length() - "$descriptor".length()));
            }
        }
        return names;
    }

    /** Package suffix to Xen version: "xen420" -> "4.20". */
    public static String version(String pkg) {
        String digits = pkg.substring(pkg.lastIndexOf('.') + 1).substring("xen".length());
        return digits.charAt(0) + "." + digits.substring(1);
    }

    /** A C flexible array member ({@code T x[]}): jextract gives it a zero-length sequence layout. */
    static boolean flexible(MemoryLayout m) {
        return m instanceof SequenceLayout s && s.elementCount() == 0;
    }

    private static List<String> classNames(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(f -> f.endsWith(".java") || f.endsWith(".class"))
                    .map(f -> f.substring(0, f.lastIndexOf('.')))
                    .filter(n -> !n.contains("$"))
                    .distinct().sorted().toList();
        }
    }

    private static boolean hasMethod(Class<?> c, String name) {
        for (Method m : c.getMethods()) {
            if (m.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    public static String generate(String pkg, Path dir) throws IOException, ReflectiveOperationException {
        return cSource(pkg, types(pkg, dir), constants(pkg));
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ProbeGenerator <bindings package> <dir with its .class or .java files>");
            System.exit(2);
        }
        System.out.print(generate(args[0], Path.of(args[1])));
    }
}
