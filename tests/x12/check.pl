#!/usr/bin/perl
# An independent check of X12 that disthub wrote: Debian's X12::Parser (libx12-parser-perl)
# finds the delimiters and the segments; this script, sharing no code with disthub, checks
# the envelopes around them: ISA of 16 elements with ISA13 = IEA02, GS06 = GE02, GE01 the
# number of sets, SE01 the set's segment count (ST and SE included), SE02 = ST02, IEA01 the
# number of groups.
#   perl check.pl envelope.cf FILE...
# Prints "FILE: ok, G groups, S sets, N segments" per file, or every problem; exit 1 on any.
use strict;
use warnings;
use X12::Parser;

my $cf = shift @ARGV;
my $failed = 0;
for my $file (@ARGV) {
  my $p = X12::Parser->new;
  $p->parsefile(file => $file, conf => $cf);
  my ($isa13, $gs06, $st02, @problems);
  my ($groups, $sets_in_group, $sets, $set_segments, $segments) = (0, 0, 0, 0, 0);
  while (my $loop = $p->get_next_loop) {
    my $sep = quotemeta($p->get_element_separator);
    for my $segment ($p->get_loop_segments) {
      ++$segments;
      my @e = split /$sep/, $segment, -1;
      my $id = $e[0];
      $set_segments++ if defined $st02;
      if ($id eq 'ISA') {
        push @problems, "ISA has " . (@e - 1) . " elements, not 16" if @e != 17;
        ($isa13 = $e[13]) =~ s/^\s+|\s+$//g;
      } elsif ($id eq 'GS') {
        ++$groups;
        $gs06 = $e[6];
        $sets_in_group = 0;
      } elsif ($id eq 'ST') {
        $st02 = $e[2];
        $set_segments = 1;
        ++$sets;
        ++$sets_in_group;
      } elsif ($id eq 'SE') {
        push @problems, "SE01 $e[1] but the set has $set_segments segments" if $e[1] != $set_segments;
        push @problems, "SE02 $e[2] is not ST02 $st02" if $e[2] ne $st02;
        undef $st02;
      } elsif ($id eq 'GE') {
        push @problems, "GE01 $e[1] but the group has $sets_in_group sets" if $e[1] != $sets_in_group;
        push @problems, "GE02 $e[2] is not GS06 $gs06" if $e[2] ne $gs06;
      } elsif ($id eq 'IEA') {
        push @problems, "IEA01 $e[1] but the interchange has $groups groups" if $e[1] != $groups;
        push @problems, "IEA02 $e[2] is not ISA13 $isa13" if $e[2] ne $isa13;
      }
    }
  }
  push @problems, "no segments" if $segments == 0;
  push @problems, "a set without its SE" if defined $st02;
  if (@problems) {
    print "$file: $_\n" for @problems;
    $failed = 1;
  } else {
    print "$file: ok, $groups groups, $sets sets, $segments segments\n";
  }
}
exit $failed;
