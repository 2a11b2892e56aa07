// Internal to the limits layer: 128-bit integers for exact rate arithmetic (products of
// times, counts and windows overflow 64 bits). __extension__ keeps -Wpedantic quiet.
#pragma once

namespace drl::limits::detail {

__extension__ typedef __int128 Wide;
__extension__ typedef unsigned __int128 UWide;

}  // namespace drl::limits::detail
