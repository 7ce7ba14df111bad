namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>What a client-chosen header value the service keeps must be (<c>X-Request-Id</c>, <c>Idempotency-Key</c>).</summary>
public static class HeaderText
{
    /// <summary>1 to <paramref name="maxLength"/> printable ASCII characters (space to <c>~</c>): nothing a log line or a header could be split by.</summary>
    public static bool IsPrintableAscii(string? value, int maxLength) =>
        !string.IsNullOrEmpty(value) && value.Length <= maxLength && !value.AsSpan().ContainsAnyExceptInRange(' ', '~');
}
