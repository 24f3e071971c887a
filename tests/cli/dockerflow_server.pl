#!/usr/bin/perl
# A Dockerflow service in another language than Python (Perl 5, core modules only):
# what `dockerflow check` and `dockerflow probe` are tested against to show they hold
# nothing specific to our integrations. Answers HTTP/1.1 clients with chunked bodies,
# HTTP/1.0 clients with Content-Length, echoes X-Request-ID, answers HEAD.
#
#     perl dockerflow_server.pl PORT               # conforming
#     perl dockerflow_server.pl PORT warning-503   # a warning answered 503: against the spec
use strict;
use warnings;
use IO::Socket::INET;

my $port = shift or die "usage: $0 PORT [warning-503]\n";
my $mode = shift || '';
my $server = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 16, ReuseAddr => 1, Proto => 'tcp',
) or die "listen: $!\n";
$| = 1;
print "ready\n";

my %routes = (
    '/__version__' => [200, '{"source": "https://example.com/perl-app", "version": "7.0.1", '
        . '"commit": "0123abcd", "build": "https://ci.example.com/7"}'],
    '/__heartbeat__' => [200, '{"status": "warning", "checks": {"db": "ok", "disk": "warning"}, '
        . '"details": {"disk": {"status": "warning", "level": 30, '
        . '"messages": {"perl.W001": "90% full"}}}}'],
    '/__lbheartbeat__' => [200, ''],
);

while (my $client = $server->accept) {
    my $request_line = <$client>;
    next unless defined $request_line;
    my ($method, $path, $version) = split ' ', $request_line;
    my %headers;
    while (my $line = <$client>) {
        $line =~ s/\r?\n$//;
        last if $line eq '';
        my ($name, $value) = split /:\s*/, $line, 2;
        $headers{lc $name} = $value;
    }
    $path =~ s/\?.*//;
    my ($status, $body) = @{ $routes{$path} || [404, '{"error": "not found"}'] };
    $status = 503 if $mode eq 'warning-503' && $path eq '/__heartbeat__';
    my $reason = {200 => 'OK', 404 => 'Not Found', 503 => 'Service Unavailable'}->{$status};
    my $head = "HTTP/1.1 $status $reason\r\nContent-Type: application/json\r\nConnection: close\r\n";
    $head .= "X-Request-ID: $headers{'x-request-id'}\r\n" if exists $headers{'x-request-id'};
    if ($method eq 'HEAD') {
        print $client $head . "Content-Length: " . length($body) . "\r\n\r\n";
    } elsif (($version || '') eq 'HTTP/1.1' && length $body) {
        my $half = int(length($body) / 2);
        print $client $head . "Transfer-Encoding: chunked\r\n\r\n";
        for my $chunk (substr($body, 0, $half), substr($body, $half)) {
            printf $client "%x\r\n%s\r\n", length $chunk, $chunk;
        }
        print $client "0\r\n\r\n";
    } else {
        print $client $head . "Content-Length: " . length($body) . "\r\n\r\n" . $body;
    }
    close $client;
}
