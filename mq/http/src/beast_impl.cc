// The single translation unit that compiles Boost.Beast's implementation
// (separate compilation, as mq/asio does for Asio).
#include <boost/beast/src.hpp>
