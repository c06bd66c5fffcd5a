// SPDX-License-Identifier: Apache-2.0
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Copies a jar, re-writing class files older than Java 6 (major version 50) as Java 8 class files with stack maps
 * computed by the JDK's ClassFile API. Why: the JVM's AOT cache (JEP 483) skips pre-Java-6 classes ("Old class has
 * been linked"), and picocli is compiled for Java 5, so without this its ~180 classes load and verify from the jar
 * on every start. Only the version and the StackMapTable change; the bytecode is the same instructions.
 * Run: java dist/UpgradeClassFiles.java IN.jar OUT.jar
 */
public class UpgradeClassFiles {
    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]), out = Path.of(args[1]);
        var loader = new URLClassLoader(new URL[] {in.toUri().toURL()}, null);
        var cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS, ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
        var upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                .andThen(ClassTransform.endHandler(b -> b.withVersion(ClassFile.JAVA_8_VERSION, 0)));
        int n = 0;
        try (var zin = new ZipInputStream(Files.newInputStream(in));
             var zout = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
                byte[] b = zin.readAllBytes();
                if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")) {
                    ClassModel m = cf.parse(b);
                    if (m.majorVersion() < ClassFile.JAVA_6_VERSION) {
                        b = cf.transformClass(m, upgrade);
                        n++;
                    }
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                zout.putNextEntry(copy);
                zout.write(b);
            }
        }
        System.err.println("UpgradeClassFiles: " + n + " class files re-written as Java 8 in " + out);
    }
}
