# Shell functions bench/run.sh and bench/tls.sh share; source it after setting $root (the repository).

# The median of the numbers on stdin, one a line; "-" when there are none or they are "-".
median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else if (a[1]=="-") print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# image_archive JAR DIR: the Dockerfile's class-data-sharing step on JAR, one untimed demo run that
# records DIR/model-prefetch.jsa; fails when the demo run does.
image_archive() {
  java @"$root/configs/jvm.options" -Xlog:cds*=error:stderr -XX:ArchiveClassesAtExit="$2/model-prefetch.jsa" \
    -jar "$1" demo --local-dir "$2/training/models" >/dev/null 2>&1 || return 1
  rm -rf "$2/training"
}
