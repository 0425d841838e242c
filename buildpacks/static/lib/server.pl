#!/usr/bin/perl
# The static-site server of the paas static buildpack: serves the site's root on $PORT with
# caching headers (ETag, Last-Modified, Cache-Control), clean URLs and a 404 page. Only perl-base
# modules (the stack has no node, nginx or JSON::PP), one forked child per connection.
#   perl server.pl            serve (from the app dir, which holds static.json if any)
#   perl server.pl --check    print the settings, or the error in static.json, and exit
use strict;
use warnings;
use Cwd qw(realpath);
use IO::Socket::INET;
use POSIX qw(strftime);

my %TYPES = (
  html => 'text/html; charset=utf-8', htm => 'text/html; charset=utf-8', css => 'text/css; charset=utf-8',
  js => 'text/javascript; charset=utf-8', mjs => 'text/javascript; charset=utf-8', json => 'application/json',
  map => 'application/json', txt => 'text/plain; charset=utf-8', xml => 'application/xml', svg => 'image/svg+xml',
  png => 'image/png', jpg => 'image/jpeg', jpeg => 'image/jpeg', gif => 'image/gif', webp => 'image/webp',
  avif => 'image/avif', ico => 'image/x-icon', woff => 'font/woff', woff2 => 'font/woff2', ttf => 'font/ttf',
  otf => 'font/otf', wasm => 'application/wasm', pdf => 'application/pdf', webmanifest => 'application/manifest+json',
  mp4 => 'video/mp4', webm => 'video/webm', mp3 => 'audio/mpeg', csv => 'text/csv; charset=utf-8',
);

# --- static.json: a small JSON reader (perl-base has no JSON module) -------------------------
sub json_value {
  my ($s) = @_;
  $$s =~ /\G\s*/gc;
  if ($$s =~ /\G\{/gc) {
    my %h;
    $$s =~ /\G\s*/gc;
    return \%h if $$s =~ /\G\}/gc;
    while (1) {
      $$s =~ /\G\s*/gc;
      my $k = json_value($s);
      die "expected a string key\n" if ref $k;
      $$s =~ /\G\s*:/gc or die "expected ':' after \"$k\"\n";
      $h{$k} = json_value($s);
      $$s =~ /\G\s*/gc;
      next if $$s =~ /\G,/gc;
      return \%h if $$s =~ /\G\}/gc;
      die "expected ',' or '}' at offset " . pos($$s) . "\n";
    }
  }
  if ($$s =~ /\G\[/gc) {
    my @a;
    $$s =~ /\G\s*/gc;
    return \@a if $$s =~ /\G\]/gc;
    while (1) {
      push @a, json_value($s);
      $$s =~ /\G\s*/gc;
      next if $$s =~ /\G,/gc;
      return \@a if $$s =~ /\G\]/gc;
      die "expected ',' or ']' at offset " . pos($$s) . "\n";
    }
  }
  if ($$s =~ /\G"((?:[^"\\]|\\.)*)"/gc) {
    my $str = $1;
    $str =~ s/\\u([0-9a-fA-F]{4})/chr(hex $1)/ge;
    $str =~ s/\\(.)/{ n => "\n", t => "\t", r => "\r", b => "\b", f => "\f" }->{$1} \/\/ $1/ge;
    return $str;
  }
  return \1 if $$s =~ /\Gtrue/gc;
  return \0 if $$s =~ /\Gfalse/gc;
  return undef if $$s =~ /\Gnull/gc;
  return $1 if $$s =~ /\G(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/gc;
  die "unexpected character at offset " . (pos($$s) // 0) . "\n";
}

# The settings: static.json's root (default "."), clean_urls (default true), error_page
# (default 404.html when the root has one).
sub settings {
  my %c = (root => '.', clean_urls => 1, error_page => undef);
  if (-f 'static.json') {
    open my $fh, '<', 'static.json' or die "cannot read static.json: $!\n";
    my $text = do { local $/; <$fh> };
    my $json = eval { my $v = json_value(\$text); $text =~ /\G\s*\z/gc or die "trailing characters\n"; $v };
    die "static.json is not valid JSON: $@" unless defined $json;
    die "static.json must be an object\n" unless ref $json eq 'HASH';
    for my $key (sort keys %$json) {
      die "static.json: unknown key \"$key\" (known: root, clean_urls, error_page)\n"
        unless $key =~ /^(root|clean_urls|error_page)$/;
    }
    if (exists $json->{root}) {
      die "static.json: root must be a string\n" if ref $json->{root} || !defined $json->{root};
      $c{root} = $json->{root};
    }
    if (exists $json->{clean_urls}) {
      die "static.json: clean_urls must be true or false\n" unless ref $json->{clean_urls} eq 'SCALAR';
      $c{clean_urls} = ${ $json->{clean_urls} };
    }
    if (exists $json->{error_page}) {
      die "static.json: error_page must be a string\n" if ref $json->{error_page} || !defined $json->{error_page};
      $c{error_page} = $json->{error_page};
    }
  }
  die "static.json: root \"$c{root}\" must stay inside the app\n" if $c{root} =~ m{^/|(^|/)\.\.(/|$)};
  my $root = realpath($c{root});
  die "the site's root \"$c{root}\" is not a directory\n" unless defined $root && -d $root;
  $c{root_path} = $root;
  $c{error_page} //= '404.html' if -f "$root/404.html";
  die "static.json: error_page \"$c{error_page}\" is not a file in the root\n"
    if defined $c{error_page} && !-f "$root/$c{error_page}";
  return \%c;
}

my $config = eval { settings() };
if (!$config) {
  print STDERR " !     $@";
  exit 1;
}
if (@ARGV && $ARGV[0] eq '--check') {
  printf "Root: %s\nClean URLs: %s\nError page: %s\n", $config->{root}, $config->{clean_urls} ? 'on' : 'off',
    $config->{error_page} // '(none)';
  exit 0;
}

# --- serving ----------------------------------------------------------------------------------
my $ROOT = $config->{root_path};
my $port = $ENV{PORT} // 5000;
my $server = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 128, ReuseAddr => 1)
  or die "cannot listen on port $port: $!\n";
$| = 1;
print "static site listening on port $port, serving $config->{root}\n";
$SIG{CHLD} = 'IGNORE';    # children are reaped by the kernel
$SIG{TERM} = sub { exit 0 };

while (1) {
  my $client = $server->accept or next;
  my $pid = fork;
  if (!defined $pid) { close $client; next; }
  if ($pid == 0) {
    close $server;
    alarm 30;    # a client that never finishes its request does not keep a process forever
    handle($client);
    close $client;
    exit 0;
  }
  close $client;
}

sub http_date { strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime $_[0]) }

sub respond {
  my ($c, $status, $headers, $body_file, $head_only) = @_;
  my %reason = (200 => 'OK', 301 => 'Moved Permanently', 304 => 'Not Modified', 400 => 'Bad Request',
    404 => 'Not Found', 405 => 'Method Not Allowed');
  my $out = "HTTP/1.1 $status $reason{$status}\r\nDate: " . http_date(time) . "\r\nConnection: close\r\n";
  $out .= "$_: $headers->{$_}\r\n" for sort keys %$headers;
  print $c "$out\r\n";
  return if $head_only || !defined $body_file;
  if (ref $body_file) { print $c $$body_file; return; }
  open my $fh, '<:raw', $body_file or return;
  my $buf;
  print $c $buf while read $fh, $buf, 65536;
}

sub text_reply {
  my ($c, $status, $text, $extra, $head_only) = @_;
  respond($c, $status, { 'Content-Type' => 'text/plain; charset=utf-8', 'Content-Length' => length $text,
    'Cache-Control' => 'no-cache', %{ $extra // {} } }, \$text, $head_only);
}

# A file inside the root (after symlinks), or undef.
sub inside {
  my ($rel) = @_;
  my $real = realpath("$ROOT/$rel");
  return undef unless defined $real && -f $real;
  return undef unless $real eq $ROOT || index($real, "$ROOT/") == 0;
  return $real;
}

sub handle {
  my ($c) = @_;
  binmode $c;
  my $req = '';
  while ($req !~ /\r?\n\r?\n/) {
    my $n = sysread $c, $req, 8192, length $req;
    return if !$n;
    return text_reply($c, 400, "Request too large\n") if length $req > 65536;
  }
  my ($line, @lines) = split /\r?\n/, $req;
  my ($method, $target) = ($line // '') =~ m{^([A-Z]+) (\S+) HTTP/1\.[01]$} or return text_reply($c, 400, "Bad request\n");
  my %h;
  for (@lines) { last if $_ eq ''; $h{lc $1} = $2 if /^([^:]+):\s*(.*?)\s*$/; }
  my $head = $method eq 'HEAD';
  my $log = sub { print "$method $target $_[0]\n" };
  if ($method ne 'GET' && !$head) { $log->(405); return text_reply($c, 405, "Method not allowed\n", { Allow => 'GET, HEAD' }); }

  (my $path = $target) =~ s/[?#].*//s;
  my $query = $target =~ /(\?.*)$/s ? $1 : '';
  $path =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
  my @segments = grep { $_ ne '' } split m{/}, $path;
  # No way out of the root, and no dotfiles (the app's .profile.d, .heroku, .git...).
  my $bad = $path !~ m{^/} || $path =~ /\0/ || grep { $_ eq '..' || (/^\./ && $_ ne '.well-known') } @segments;
  my $rel = join '/', @segments;
  my ($file, $redirect);
  if (!$bad) {
    if ($path =~ m{/$}) {
      $file = inside($rel eq '' ? 'index.html' : "$rel/index.html");
    } elsif ($config->{clean_urls} && $rel =~ /^(.*)\.html$/ && $segments[-1] ne 'index.html' && inside($rel)) {
      $redirect = "/$1";    # /about.html → /about: one URL per page
    } elsif ($file = inside($rel)) {
    } elsif ($config->{clean_urls} && ($file = inside("$rel.html"))) {
    } elsif (inside("$rel/index.html")) {
      $redirect = "/$rel/";
    }
  }
  if (defined $redirect) {
    $log->(301);
    return text_reply($c, 301, "Moved to $redirect$query\n", { Location => "$redirect$query" }, $head);
  }
  if (!defined $file) {
    $log->(404);
    my $page = defined $config->{error_page} ? inside($config->{error_page}) : undef;
    return text_reply($c, 404, "Not found\n", {}, $head) unless $page;
    return respond($c, 404, { 'Content-Type' => $TYPES{html}, 'Content-Length' => -s $page, 'Cache-Control' => 'no-cache' }, $page, $head);
  }

  my @st = stat $file;
  my ($size, $mtime) = @st[7, 9];
  my $etag = sprintf '"%x-%x"', $mtime, $size;
  my $last_modified = http_date($mtime);
  my ($ext) = $file =~ /\.([A-Za-z0-9]+)$/;
  my $type = $TYPES{ lc($ext // '') } // 'application/octet-stream';
  # Fingerprinted assets (app.3f2a9c1b.js, main-5d41402abc4b2a76.css) never change: cache for a
  # year. HTML must be revalidated so a new deploy shows at once; anything else for an hour.
  my $cache = $type =~ m{^text/html} ? 'no-cache'
    : $file =~ m{[.-][0-9a-fA-F]{8,}\.[A-Za-z0-9]+$} ? 'public, max-age=31536000, immutable'
    : 'public, max-age=3600';
  my %headers = (ETag => $etag, 'Last-Modified' => $last_modified, 'Cache-Control' => $cache, 'Content-Type' => $type,
    'X-Content-Type-Options' => 'nosniff');
  my $inm = $h{'if-none-match'};
  my $not_modified = defined $inm ? (grep { $_ eq $etag || $_ eq '*' } map { s/^W\///r } split /\s*,\s*/, $inm)
    : (defined $h{'if-modified-since'} && $h{'if-modified-since'} eq $last_modified);
  if ($not_modified) { $log->(304); return respond($c, 304, \%headers, undef, 1); }
  $log->(200);
  respond($c, 200, { %headers, 'Content-Length' => $size }, $file, $head);
}
