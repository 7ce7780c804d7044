package io.modelprefetch.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaPackage;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The nullness convention, pinned: NullAway checks only {@code @NullMarked} code, so a package
 * without it (a new folder without its {@code package-info.java}) would go unchecked. The runners'
 * classpath holds the main classes of all three modules.
 */
class NullnessConventionTest {

  @Test
  void everyPackageOfTheThreeModulesIsNullMarked() {
    JavaClasses classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.modelprefetch");
    List<String> packages =
        classes.stream().map(JavaClass::getPackageName).distinct().sorted().toList();
    assertTrue(
        packages.containsAll(
            List.of(
                "io.modelprefetch.transforms",
                "io.modelprefetch.pipeline",
                "io.modelprefetch.runners")),
        "expected the main classes of transforms, pipeline and runners, found " + packages);
    List<String> unmarked =
        classes.stream()
            .map(JavaClass::getPackage)
            .filter(p -> !p.isAnnotatedWith(NullMarked.class))
            .map(JavaPackage::getName)
            .distinct()
            .sorted()
            .toList();
    assertEquals(
        List.of(),
        unmarked,
        "packages without @NullMarked in their package-info.java, which NullAway skips");
  }
}
