# A tiny HTTP/1.0-style server using only perl-base: one request per connection.
use strict;
use warnings;
use IO::Socket::INET;

my $port = $ENV{PORT} || 5000;
my $server = IO::Socket::INET->new(
    LocalAddr => '0.0.0.0',
    LocalPort => $port,
    Listen    => 64,
    ReuseAddr => 1,
    Proto     => 'tcp',
) or die "dockerfile-hello: cannot listen on port $port: $!\n";

$| = 1;
print "dockerfile-hello listening on port $port\n";
$SIG{TERM} = sub { print "dockerfile-hello stopping\n"; exit 0 };
$SIG{PIPE} = 'IGNORE';

while (my $client = $server->accept) {
    # Read the request line and headers; the body (if any) is ignored.
    local $SIG{ALRM} = sub { die "timeout\n" };
    eval {
        alarm 5;
        while (my $line = <$client>) {
            last if $line =~ /^\r?\n$/;
        }
        alarm 0;
        open(my $fh, "<", "/srv/hello/motd") or die; my $motd = <$fh>; close $fh;
        my $body = "$ENV{GREETING} ($motd)\n"; $body =~ s/\n\)/)/;
        print $client "HTTP/1.1 200 OK\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "Content-Length: ", length($body), "\r\n",
            "Connection: close\r\n\r\n",
            $body;
    };
    alarm 0;
    close $client;
}
