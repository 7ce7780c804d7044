package io.modelprefetch.transforms;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The package layering, pinned: each package may use only the packages below it, only the
 * transforms (the root package) know Beam, and no package reaches back up into the transforms.
 */
class ArchitectureTest {

  private static final String ROOT = "io.modelprefetch.transforms";

  /** Each package and the internal packages it may depend on, lowest layer first. */
  private static final Map<String, List<String>> MAY_USE =
      Map.ofEntries(
          Map.entry("text", List.of()),
          Map.entry("verify", List.of()),
          Map.entry("structure", List.of()),
          Map.entry("manifest", List.of()),
          Map.entry("model", List.of("verify", "structure")),
          Map.entry("plan", List.of("model", "text")),
          Map.entry("s3", List.of("model", "text")),
          Map.entry("storage", List.of("model", "plan", "s3", "text", "verify")),
          Map.entry("report", List.of("model", "storage", "structure", "text")),
          Map.entry(
              "engine", List.of("model", "plan", "s3", "storage", "structure", "text", "verify")));

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);
  }

  static Stream<Arguments> layers() {
    return MAY_USE.entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  @ParameterizedTest(name = "{0} uses only {1}")
  @MethodSource("layers")
  void eachPackageUsesOnlyTheLayersBelowIt(String layer, List<String> allowed) {
    String[] mayUse =
        Stream.concat(Stream.of(layer), allowed.stream())
            .map(p -> ROOT + "." + p + "..")
            .toArray(String[]::new);
    classes()
        .that()
        .resideInAPackage(ROOT + "." + layer + "..")
        .should()
        .onlyDependOnClassesThat(
            not(resideInAPackage("io.modelprefetch..")).or(resideInAnyPackage(mayUse)))
        .because(layer + " may use only " + Arrays.toString(mayUse))
        .check(classes);
  }

  @Test
  void everyPackageHasARule() {
    classes()
        .that()
        .resideInAPackage(ROOT + ".*..")
        .should()
        .resideInAnyPackage(
            MAY_USE.keySet().stream().map(p -> ROOT + "." + p + "..").toArray(String[]::new))
        .because("a new package gets its place in MAY_USE")
        .check(classes);
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void onlyTheTransformsKnowBeam() {
    noClasses()
        .that()
        .resideInAPackage(ROOT + ".*..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.beam..")
        .because("the engine and everything below it run without Beam")
        .check(classes);
  }

  @Test
  void valuesAndDigestsKnowNoClientOrFileSystem() {
    noClasses()
        .that()
        .resideInAnyPackage(
            ROOT + ".model..",
            ROOT + ".verify..",
            ROOT + ".structure..",
            ROOT + ".text..",
            ROOT + ".manifest..",
            ROOT + ".plan..",
            ROOT + ".report..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("software.amazon..", "org.apache.hadoop..")
        .check(classes);
  }
}
